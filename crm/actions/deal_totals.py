"""Keep crm.models.DealTotal: the per-group counts and sums the board and forecast read.

Every action that changes a deal's pipeline, stage, status, manager, currency, amount,
expected close date or archived state calls `refresh_deal_totals` with the stages the
deal left and entered, inside its transaction and after its writes. The rows of those
stages are recomputed from the deals (one GROUP BY over the stage's index, not a running
+1/-1 that a missed path would leave wrong for ever), and a rebuild of every stage
(`stages=None`) serves bulk writers such as seeding.

Concurrent writers of one pipeline take turns: each first locks the pipeline rows
(FOR NO KEY UPDATE, which does not wait for the key-share locks that inserting or moving
a deal takes on them), so the recompute that runs second, in READ COMMITTED, sees what
the first committed and never inserts a group the first just wrote.
"""

from collections.abc import Iterable

from django.db import connection

from crm.models import Deal, DealTotal, Pipeline, Stage

_RECOMPUTE = """
INSERT INTO {totals} (pipeline_id, stage_id, status, responsible_id, currency, close_month,
                      deals, amount)
SELECT pipeline_id, stage_id, status, responsible_id, currency,
       expected_close_date - (EXTRACT(DAY FROM expected_close_date)::integer - 1),
       count(*), sum(amount)
FROM {deals}
WHERE archived_at IS NULL{where}
GROUP BY 1, 2, 3, 4, 5, 6
"""


def refresh_deal_totals(stages: Iterable[int | None] | None) -> None:
    """Recompute the DealTotal rows of `stages` (ids; None ids are ignored), or of every
    stage when `stages` is None. Call it after the deal writes, in their transaction."""
    totals = connection.ops.quote_name(DealTotal._meta.db_table)
    deals = connection.ops.quote_name(Deal._meta.db_table)
    with connection.cursor() as cursor:
        if stages is None:
            cursor.execute(f"LOCK TABLE {totals} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {totals}")  # noqa: S608 (quoted table names only)
            cursor.execute(_RECOMPUTE.format(totals=totals, deals=deals, where=""))
            return
        stage_ids = sorted({pk for pk in stages if pk})
        if not stage_ids:
            return
        pipeline_ids = sorted(
            set(Stage.objects.filter(pk__in=stage_ids).values_list("pipeline_id", flat=True))
        )
        pipelines = connection.ops.quote_name(Pipeline._meta.db_table)
        cursor.execute(
            f"SELECT id FROM {pipelines} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",  # noqa: S608
            [pipeline_ids],
        )
        cursor.execute(f"DELETE FROM {totals} WHERE stage_id = ANY(%s)", [stage_ids])  # noqa: S608
        cursor.execute(
            _RECOMPUTE.format(totals=totals, deals=deals, where=" AND stage_id = ANY(%s)"),
            [stage_ids],
        )


def totals_key(deal: Deal) -> tuple[object, ...]:
    """What of `deal` the totals depend on: a write that leaves it equal needs no refresh."""
    return (
        deal.pipeline_id,
        deal.stage_id,
        deal.status,
        deal.responsible_id,
        deal.currency,
        deal.expected_close_date,
        deal.amount,
        deal.archived_at is None,
    )


def refresh_after_write(before: tuple[object, ...], deal: Deal) -> None:
    """Recompute the stages `deal` left and entered when what the totals read changed."""
    if totals_key(deal) != before:
        refresh_deal_totals([before[1], deal.stage_id])  # type: ignore[list-item]
