"""Every write to deals, pipelines, stages and loss reasons.

Each action: keyword-only arguments, an explicit `acting_user`, one transaction,
`ensure_workspace_writable()` first, the deal access rule (crm.selectors.deals), history
(crm.history.Changeset, record type "deal") written in the same transaction.

A deal's input is a plain mapping, the same from a form and the API: title, contact
(id or None), company (id or None), amount (Decimal, number or text), currency (ISO
code; the workspace's country's currency when absent), expected_close_date (date or ISO
text), pipeline (id), stage (id), responsible (member id; the acting member on create
when absent), tags (list of names), custom ({key: value}).

Stages: a deal's status follows its stage's kind (open, won, lost); entering a stage
records a DealStageChange with the seconds spent in the previous one. A lost stage needs
a loss reason (and takes an optional comment). `board_position` orders a kanban column:
smaller first, with gaps of POSITION_GAP so a move usually writes one row.

Pipelines and stages are shaped by owners and admins; nothing is deleted: stages and
pipelines are archived, a stage that still holds deals must hand them to another stage
first (or in the same call).
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm import normalize
from crm.actions.deal_totals import refresh_after_write, refresh_deal_totals, totals_key
from crm.custom_values import clean_custom_values, default_currency, missing_required_fields
from crm.errors import CrmNotFoundError, CrmValidationError, ErrorCode
from crm.history import FORM, SYSTEM, Changeset, ChangeSource, json_value
from crm.models import (
    Company,
    Contact,
    Deal,
    DealStageChange,
    DealStatus,
    LossReason,
    Pipeline,
    RecordType,
    Stage,
    StageKind,
    Tag,
)
from crm.selectors.access import visible_companies, visible_contacts
from crm.selectors.deals import can_see_deal
from tenants.guards import current_workspace, ensure_workspace_writable
from tenants.members.models import User

POSITION_GAP = 1024
CURRENCIES = ("RUB", "UAH", "KZT", "BYN", "USD", "EUR")
MAX_AMOUNT = Decimal("99999999999999.99")

DEAL_FIELDS = (
    "title",
    "contact",
    "company",
    "amount",
    "currency",
    "expected_close_date",
    "pipeline",
    "stage",
    "status",
    "loss_reason",
    "loss_comment",
    "responsible",
    "archived_at",
)
DEAL_FOREIGN_KEYS = ("contact", "company", "pipeline", "stage", "loss_reason", "responsible")


# ---------------------------------------------------------------- helpers


def _ensure_active(acting_user: Any) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionDenied(_("Only active members can do this."))


def _require_admin(acting_user: Any) -> None:
    _ensure_active(acting_user)
    if not acting_user.is_workspace_admin:
        raise PermissionDenied(_("Only owners and admins can do this."))


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any, limit: int) -> str:
    return normalize.clean_spaces(str(value))[:limit] if value is not None else ""


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.only_required = True

    def add(self, name: str, message: str, *, required: bool = False) -> None:
        if message not in self.fields.get(name, []):
            self.fields.setdefault(name, []).append(message)
        self.only_required = self.only_required and required

    def absorb(self, error: CrmValidationError) -> None:
        for name, messages in error.field_errors.items():
            for message in messages:
                self.add(name, message, required=error.code == ErrorCode.REQUIRED)

    def raise_if_any(self) -> None:
        if self.fields:
            code = ErrorCode.REQUIRED if self.only_required else ErrorCode.INVALID
            raise CrmValidationError(self.fields, code=code)


def deal_snapshot(deal: Deal) -> dict[str, Any]:
    """The deal as history compares it (one query for its tags)."""
    state: dict[str, Any] = {}
    for name in DEAL_FIELDS:
        value = getattr(deal, f"{name}_id") if name in DEAL_FOREIGN_KEYS else getattr(deal, name)
        state[name] = json_value(value)
    state["tags"] = sorted(tag.name for tag in deal.tags.all()) if deal.pk else []
    for key, value in (deal.custom or {}).items():
        state[f"custom.{key}"] = value
    return state


def _non_empty(state: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in state.items() if value not in (None, "", [], {})}


def _resolve_tags(names: Iterable[Any]) -> list[Tag]:
    from crm.actions.clients import _resolve_tags as resolve

    return resolve(names)


def _parse_amount(value: Any, errors: _Errors) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        errors.add("amount", _("Enter the amount as a number, e.g. 150000 or 1500.50."))
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        errors.add("amount", _("The amount must be zero or more and below 10^14."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.add("amount", _("The amount can have at most two decimal places."))
        return None
    return amount.quantize(Decimal("0.01"))


def _parse_currency(value: Any, errors: _Errors) -> str:
    code = str(value or "").strip().upper()
    if code not in CURRENCIES:
        errors.add("currency", _("Choose a currency from the list."))
        return ""
    return code


def _parse_date_value(value: Any, errors: _Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        errors.add("expected_close_date", _("Enter a date as YYYY-MM-DD."))
    return parsed


def _resolve_responsible(value: Any, errors: _Errors) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    found = User.objects.filter(pk=_int_or_none(value) or 0, is_active=True).first()
    if found is None:
        errors.add("responsible", _("Choose an active member of the workspace."))
    return found


def _resolve_contact(acting_user: Any, value: Any, errors: _Errors) -> Contact | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Contact) else _int_or_none(value)
    found = visible_contacts(acting_user).filter(pk=pk or 0).first()
    if found is None:
        errors.add("contact", _("Choose a contact from the list."))
    return found


def _resolve_company(acting_user: Any, value: Any, errors: _Errors) -> Company | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Company) else _int_or_none(value)
    found = visible_companies(acting_user).filter(pk=pk or 0).first()
    if found is None:
        errors.add("company", _("Choose a company from the list."))
    return found


def _active_stage(value: Any, *, pipeline: Pipeline | None = None) -> Stage | None:
    if isinstance(value, Stage):
        value = value.pk
    stages = Stage.objects.select_related("pipeline").filter(
        pk=_int_or_none(value) or 0, archived_at__isnull=True, pipeline__archived_at__isnull=True
    )
    if pipeline is not None:
        stages = stages.filter(pipeline=pipeline)
    return stages.first()


def _standard_for_required(deal: Deal, tags: Sequence[str]) -> dict[str, Any]:
    return {
        "amount": deal.amount,
        "expected_close_date": deal.expected_close_date,
        "contact": deal.contact_id,
        "company": deal.company_id,
        "responsible": deal.responsible_id,
        "tags": list(tags),
    }


def _missing(deal: Deal, tags: Sequence[str]) -> set[str]:
    return set(
        missing_required_fields(
            entity=RecordType.DEAL,
            standard=_standard_for_required(deal, tags),
            custom=dict(deal.custom or {}),
        )
    )


def _refresh_search(deal: Deal) -> None:
    deal.name_search = normalize.search_text(deal.title)


def _top_position(stage_id: int) -> int:
    """A board position above every deal of the column (new and moved deals go on top)."""
    lowest = Deal.objects.filter(stage_id=stage_id, archived_at__isnull=True).aggregate(
        low=Min("board_position")
    )["low"]
    return 0 if lowest is None else lowest - POSITION_GAP


def _bottom_position(stage_id: int) -> int:
    highest = Deal.objects.filter(stage_id=stage_id, archived_at__isnull=True).aggregate(
        high=Max("board_position")
    )["high"]
    return 0 if highest is None else highest + POSITION_GAP


def _renumber_column(stage_id: int) -> None:
    """Spread the column's positions POSITION_GAP apart again (rare: only when no gap is left)."""
    ids = list(
        Deal.objects.filter(stage_id=stage_id, archived_at__isnull=True)
        .order_by("board_position", "id")
        .values_list("id", flat=True)
    )
    deals = [Deal(pk=pk, board_position=(index + 1) * POSITION_GAP) for index, pk in enumerate(ids)]
    Deal.objects.bulk_update(deals, ["board_position"], batch_size=1000)


def _position_before(stage_id: int, before_id: int | None, moving_id: int | None) -> int:
    """A board position in column `stage_id` just above deal `before_id` (the end if None)."""
    column = Deal.objects.filter(stage_id=stage_id, archived_at__isnull=True)
    if moving_id is not None:
        column = column.exclude(pk=moving_id)
    before = column.filter(pk=before_id).first() if before_id is not None else None
    if before is None:
        return (
            _bottom_position(stage_id)
            if moving_id is None
            else _bottom_excluding(stage_id, moving_id)
        )
    for _attempt in range(2):
        previous = (
            column.filter(board_position__lt=before.board_position)
            .order_by("-board_position", "-id")
            .values_list("board_position", flat=True)
            .first()
        )
        if previous is None:
            return before.board_position - POSITION_GAP
        if before.board_position - previous >= 2:
            return (previous + before.board_position) // 2
        _renumber_column(stage_id)
        before.refresh_from_db(fields=["board_position"])
    return before.board_position - 1


def _bottom_excluding(stage_id: int, moving_id: int) -> int:
    highest = (
        Deal.objects.filter(stage_id=stage_id, archived_at__isnull=True)
        .exclude(pk=moving_id)
        .aggregate(high=Max("board_position"))["high"]
    )
    return 0 if highest is None else highest + POSITION_GAP


def _record_stage_change(deal: Deal, new_stage: Stage, acting_user: Any, at: dt.datetime) -> None:
    seconds = max(0, int((at - deal.stage_entered_at).total_seconds()))
    DealStageChange.objects.create(
        deal=deal,
        from_stage_id=deal.stage_id,
        to_stage=new_stage,
        at=at,
        seconds_in_previous=seconds,
        actor=acting_user if getattr(acting_user, "pk", None) else None,
    )


def _enter_stage(
    deal: Deal,
    stage: Stage,
    *,
    acting_user: Any,
    loss_reason: LossReason | None,
    loss_comment: str,
    at: dt.datetime,
) -> None:
    """Put `deal` (saved) in `stage`, recording the change; status and closing follow the kind."""
    left = deal.stage
    if stage.pk != deal.stage_id:
        _record_stage_change(deal, stage, acting_user, at)
        deal.stage_entered_at = at
        if stage.kind == StageKind.LOST and left.kind != StageKind.LOST:
            deal.lost_from_stage = left
    if stage.kind != StageKind.LOST:
        deal.lost_from_stage = None
    deal.stage = stage
    deal.pipeline_id = stage.pipeline_id
    deal.status = stage.kind
    if stage.kind == StageKind.OPEN:
        deal.closed_at = None
        deal.loss_reason = None
        deal.loss_comment = ""
    else:
        if deal.closed_at is None:
            deal.closed_at = at
        if stage.kind == StageKind.LOST:
            deal.loss_reason = loss_reason
            deal.loss_comment = loss_comment
        else:
            deal.loss_reason = None
            deal.loss_comment = ""


def _resolve_loss_reason(value: Any, errors: _Errors) -> LossReason | None:
    if value in (None, ""):
        errors.add("loss_reason", _("Choose why the deal was lost."), required=True)
        return None
    pk = value.pk if isinstance(value, LossReason) else _int_or_none(value)
    found = LossReason.objects.filter(pk=pk or 0, archived_at__isnull=True).first()
    if found is None:
        errors.add("loss_reason", _("Choose a loss reason from the list."))
    return found


def _locked_deal(acting_user: Any, deal: Deal | int) -> Deal:
    deal_id = deal.pk if isinstance(deal, Deal) else deal
    found = Deal.objects.select_for_update().filter(pk=_int_or_none(deal_id) or 0).first()
    if found is None or not can_see_deal(acting_user, found):
        raise CrmNotFoundError()
    return found


def _save_history(
    acting_user: Any, source: ChangeSource, deal: Deal, before: dict[str, Any]
) -> None:
    fresh = Deal.objects.get(pk=deal.pk)
    changes = Changeset(acting_user, source)
    changes.diff(RecordType.DEAL, deal.pk, before, deal_snapshot(fresh))
    changes.save()


# ---------------------------------------------------------------- the default pipeline


def _default_names() -> dict[str, Any]:
    return {
        "pipeline": _("Sales"),
        "stages": [
            (_("New"), 10, StageKind.OPEN),
            (_("Qualification"), 25, StageKind.OPEN),
            (_("Proposal"), 50, StageKind.OPEN),
            (_("Negotiation"), 75, StageKind.OPEN),
            (_("Won"), 100, StageKind.WON),
            (_("Lost"), 0, StageKind.LOST),
        ],
        "loss_reasons": [
            _("Too expensive"),
            _("Chose a competitor"),
            _("No budget"),
            _("No response"),
            _("Not the right time"),
            pgettext("loss reason", "Other"),
        ],
    }


@transaction.atomic
def ensure_default_pipeline() -> Pipeline:
    """The workspace's main pipeline; on first use, make "Sales" with its stages and the
    default loss reasons, named in the workspace's language.

    Workspaces are cloned from a data-free template, so this runs on first use (the board,
    a deal form, the API, the seed) instead of in a migration. Safe to call concurrently:
    a transaction-level advisory lock serialises the first creation.
    """
    main = Pipeline.objects.filter(archived_at__isnull=True).order_by("position", "id").first()
    if main is not None:
        return main
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':pipeline'))")
    main = Pipeline.objects.filter(archived_at__isnull=True).order_by("position", "id").first()
    if main is not None:
        return main
    workspace = current_workspace()
    language = getattr(workspace, "default_language", None) or translation.get_language()
    with translation.override(language):
        names = _default_names()
        pipeline = Pipeline.objects.create(name=names["pipeline"], position=0)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, name=name, probability=probability, kind=kind, position=i)
            for i, (name, probability, kind) in enumerate(names["stages"])
        )
        if not LossReason.objects.exists():
            LossReason.objects.bulk_create(
                LossReason(name=name, position=i) for i, name in enumerate(names["loss_reasons"])
            )
    return pipeline


# ---------------------------------------------------------------- deals


@transaction.atomic
def create_deal(*, acting_user: User, data: Mapping[str, Any], source: ChangeSource = FORM) -> Deal:
    """Create a deal in the given (or the main pipeline's first open) stage.

    A lost stage needs `loss_reason` (and takes `loss_comment`) in `data`.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    errors = _Errors()
    now = timezone.now()
    deal = Deal(
        created_by=acting_user if acting_user.pk else None,
        stage_entered_at=now,
        currency=default_currency(),
    )
    deal.title = _text(data.get("title"), 255)
    if not deal.title:
        errors.add("title", _("Give the deal a title."))
    deal.contact = _resolve_contact(acting_user, data.get("contact"), errors)
    deal.company = _resolve_company(acting_user, data.get("company"), errors)
    deal.amount = _parse_amount(data.get("amount"), errors)
    if data.get("currency") not in (None, ""):
        deal.currency = _parse_currency(data.get("currency"), errors)
    deal.expected_close_date = _parse_date_value(data.get("expected_close_date"), errors)
    deal.responsible = (
        _resolve_responsible(data.get("responsible"), errors)
        if "responsible" in data
        else acting_user
    )
    stage: Stage | None
    if data.get("stage") not in (None, ""):
        pipeline = None
        if data.get("pipeline") not in (None, ""):
            pipeline = Pipeline.objects.filter(
                pk=_int_or_none(data.get("pipeline")) or 0, archived_at__isnull=True
            ).first()
            if pipeline is None:
                errors.add("pipeline", _("Choose a pipeline from the list."))
        stage = _active_stage(data.get("stage"), pipeline=pipeline)
        if stage is None and "pipeline" not in errors.fields:
            errors.add("stage", _("Choose a stage of the deal's pipeline."))
    else:
        pipeline = (
            Pipeline.objects.filter(
                pk=_int_or_none(data.get("pipeline")) or 0, archived_at__isnull=True
            ).first()
            if data.get("pipeline") not in (None, "")
            else ensure_default_pipeline()
        )
        if pipeline is None:
            errors.add("pipeline", _("Choose a pipeline from the list."))
            stage = None
        else:
            stage = (
                pipeline.stages.filter(archived_at__isnull=True, kind=StageKind.OPEN)
                .order_by("position", "id")
                .first()
            )
            if stage is None:
                errors.add("stage", _("The pipeline has no open stage."))
    loss_reason = None
    loss_comment = _text(data.get("loss_comment"), 2000)
    if stage is not None and stage.kind == StageKind.LOST:
        loss_reason = _resolve_loss_reason(data.get("loss_reason"), errors)
    try:
        deal.custom = clean_custom_values(
            entity=RecordType.DEAL, values=dict(data.get("custom") or {}), current=None
        )
    except CrmValidationError as error:
        errors.absorb(error)
    tag_names = [_text(t, 60) for t in data.get("tags") or [] if _text(t, 60)]
    for name in sorted(_missing(deal, tag_names) - set(errors.fields)):
        if not name.startswith("custom."):
            errors.add(name, _("This field is required."), required=True)
    errors.raise_if_any()
    assert stage is not None  # noqa: S101 (errors raised above otherwise)
    deal.stage = stage
    deal.pipeline_id = stage.pipeline_id
    deal.status = stage.kind
    if stage.kind != StageKind.OPEN:
        deal.closed_at = now
        deal.loss_reason = loss_reason
        deal.loss_comment = loss_comment if stage.kind == StageKind.LOST else ""
    deal.board_position = _top_position(stage.pk)
    _refresh_search(deal)
    deal.save()
    refresh_deal_totals([deal.stage_id])
    deal.tags.set(_resolve_tags(tag_names))
    DealStageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=stage,
        at=now,
        seconds_in_previous=None,
        actor=acting_user if acting_user.pk else None,
    )
    changes = Changeset(acting_user, source, at=now)
    changes.add(RecordType.DEAL, deal.pk, "record", None, deal.title)
    changes.diff(RecordType.DEAL, deal.pk, {}, _non_empty(deal_snapshot(deal)))
    changes.save()
    return deal


@transaction.atomic
def update_deal(
    *,
    acting_user: User,
    deal: Deal | int,
    changes: Mapping[str, Any],
    source: ChangeSource = FORM,
) -> Deal:
    """Change the fields given in `changes` (a partial update); others stay as they are.

    `stage` (with `loss_reason`/`loss_comment` for a lost stage) moves the deal like
    `move_deal`; `pipeline` alone moves it to that pipeline's first open stage. Required
    fields already empty before they became required do not block an edit.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    totals_before = totals_key(record)
    before = deal_snapshot(record)
    current_tags = before["tags"]
    already_missing = _missing(record, current_tags)
    errors = _Errors()
    now = timezone.now()
    if "title" in changes:
        record.title = _text(changes.get("title"), 255)
        if not record.title:
            errors.add("title", _("Give the deal a title."))
    if "contact" in changes:
        record.contact = _resolve_contact(acting_user, changes.get("contact"), errors)
    if "company" in changes:
        record.company = _resolve_company(acting_user, changes.get("company"), errors)
    if "amount" in changes:
        record.amount = _parse_amount(changes.get("amount"), errors)
    if "currency" in changes:
        record.currency = _parse_currency(changes.get("currency"), errors)
    if "expected_close_date" in changes:
        record.expected_close_date = _parse_date_value(changes.get("expected_close_date"), errors)
    if "responsible" in changes:
        record.responsible = _resolve_responsible(changes.get("responsible"), errors)
        if record.responsible is None and not acting_user.is_workspace_admin:
            errors.add("responsible", _("Choose an active member of the workspace."))
    new_stage: Stage | None = None
    if changes.get("stage") not in (None, ""):
        new_stage = _active_stage(changes.get("stage"))
        wanted_pipeline = _int_or_none(changes.get("pipeline"))
        if new_stage is None or (
            wanted_pipeline is not None and new_stage.pipeline_id != wanted_pipeline
        ):
            errors.add("stage", _("Choose a stage of the deal's pipeline."))
            new_stage = None
    elif (
        changes.get("pipeline") not in (None, "")
        and _int_or_none(changes.get("pipeline")) != record.pipeline_id
    ):
        pipeline = Pipeline.objects.filter(
            pk=_int_or_none(changes.get("pipeline")) or 0, archived_at__isnull=True
        ).first()
        if pipeline is None:
            errors.add("pipeline", _("Choose a pipeline from the list."))
        else:
            new_stage = (
                pipeline.stages.filter(archived_at__isnull=True, kind=StageKind.OPEN)
                .order_by("position", "id")
                .first()
            )
            if new_stage is None:
                errors.add("stage", _("The pipeline has no open stage."))
    loss_reason = record.loss_reason
    loss_comment = record.loss_comment
    if new_stage is not None and new_stage.kind == StageKind.LOST:
        if new_stage.pk != record.stage_id or "loss_reason" in changes:
            loss_reason = _resolve_loss_reason(changes.get("loss_reason"), errors)
        if "loss_comment" in changes:
            loss_comment = _text(changes.get("loss_comment"), 2000)
    if "custom" in changes:
        try:
            record.custom = clean_custom_values(
                entity=RecordType.DEAL,
                values=dict(changes.get("custom") or {}),
                current=dict(record.custom or {}),
                partial=True,
            )
        except CrmValidationError as error:
            errors.absorb(error)
    tag_names = (
        [_text(t, 60) for t in changes.get("tags") or [] if _text(t, 60)]
        if "tags" in changes
        else current_tags
    )
    for name in sorted(_missing(record, tag_names) - already_missing - set(errors.fields)):
        if not name.startswith("custom."):
            errors.add(name, _("This field is required."), required=True)
    errors.raise_if_any()
    if new_stage is not None and new_stage.pk != record.stage_id:
        _enter_stage(
            record,
            new_stage,
            acting_user=acting_user,
            loss_reason=loss_reason,
            loss_comment=loss_comment,
            at=now,
        )
        record.board_position = _top_position(new_stage.pk)
    elif new_stage is not None and new_stage.kind == StageKind.LOST:
        record.loss_reason = loss_reason
        record.loss_comment = loss_comment
    _refresh_search(record)
    record.save()
    refresh_after_write(totals_before, record)
    if "tags" in changes:
        record.tags.set(_resolve_tags(tag_names))
    _save_history(acting_user, source, record, before)
    return record


@transaction.atomic
def move_deal(
    *,
    acting_user: User,
    deal: Deal | int,
    stage: Stage | int,
    before_deal: int | None = None,
    loss_reason: LossReason | int | None = None,
    loss_comment: str = "",
    source: ChangeSource = FORM,
) -> Deal:
    """Move a deal to `stage` (any stage of its pipeline), above `before_deal` in that column
    (the bottom when None; a move to another column without `before_deal` puts it on top).

    Moving within the column only reorders. Into a lost stage needs `loss_reason`.
    """
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    target = _active_stage(stage)
    errors = _Errors()
    if target is None or target.pipeline_id != record.pipeline_id:
        errors.add("stage", _("Choose a stage of the deal's pipeline."))
        errors.raise_if_any()
    assert target is not None  # noqa: S101
    reason = None
    if target.kind == StageKind.LOST and target.pk != record.stage_id:
        reason = _resolve_loss_reason(loss_reason, errors)
    errors.raise_if_any()
    before = deal_snapshot(record)
    totals_before = totals_key(record)
    changing_column = target.pk != record.stage_id
    if changing_column:
        _enter_stage(
            record,
            target,
            acting_user=acting_user,
            loss_reason=reason,
            loss_comment=_text(loss_comment, 2000),
            at=timezone.now(),
        )
    if before_deal is None and changing_column:
        record.board_position = _top_position(target.pk)
    else:
        record.board_position = _position_before(target.pk, before_deal, record.pk)
    record.save()
    refresh_after_write(totals_before, record)
    if changing_column:
        _save_history(acting_user, source, record, before)
    return record


def _closing_stage(pipeline_id: int, kind: str, wanted: Stage | int | None) -> Stage | None:
    stages = Stage.objects.filter(
        pipeline_id=pipeline_id, kind=kind, archived_at__isnull=True
    ).order_by("position", "id")
    if wanted is not None:
        stages = stages.filter(pk=wanted.pk if isinstance(wanted, Stage) else wanted)
    return stages.first()


@transaction.atomic
def win_deal(
    *,
    acting_user: User,
    deal: Deal | int,
    stage: Stage | int | None = None,
    source: ChangeSource = FORM,
) -> Deal:
    """Mark a deal won: into `stage` or its pipeline's first won stage."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    target = _closing_stage(record.pipeline_id, StageKind.WON, stage)
    if target is None:
        raise CrmValidationError({"stage": [_("The pipeline has no won stage.")]})
    before = deal_snapshot(record)
    totals_before = totals_key(record)
    if target.pk != record.stage_id:
        _enter_stage(
            record,
            target,
            acting_user=acting_user,
            loss_reason=None,
            loss_comment="",
            at=timezone.now(),
        )
        record.board_position = _top_position(target.pk)
        record.save()
        refresh_after_write(totals_before, record)
        _save_history(acting_user, source, record, before)
    return record


@transaction.atomic
def lose_deal(
    *,
    acting_user: User,
    deal: Deal | int,
    loss_reason: LossReason | int | None,
    loss_comment: str = "",
    stage: Stage | int | None = None,
    source: ChangeSource = FORM,
) -> Deal:
    """Mark a deal lost, with a reason from the workspace's list (required) and a comment."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    errors = _Errors()
    reason = _resolve_loss_reason(loss_reason, errors)
    target = _closing_stage(record.pipeline_id, StageKind.LOST, stage)
    if target is None:
        errors.add("stage", _("The pipeline has no lost stage."))
    errors.raise_if_any()
    assert target is not None  # noqa: S101
    before = deal_snapshot(record)
    totals_before = totals_key(record)
    if target.pk != record.stage_id:
        _enter_stage(
            record,
            target,
            acting_user=acting_user,
            loss_reason=reason,
            loss_comment=_text(loss_comment, 2000),
            at=timezone.now(),
        )
        record.board_position = _top_position(target.pk)
    else:
        record.loss_reason = reason
        record.loss_comment = _text(loss_comment, 2000)
    record.save()
    refresh_after_write(totals_before, record)
    _save_history(acting_user, source, record, before)
    return record


@transaction.atomic
def reopen_deal(
    *,
    acting_user: User,
    deal: Deal | int,
    stage: Stage | int | None = None,
    source: ChangeSource = FORM,
) -> Deal:
    """Take a won or lost deal back into work: into `stage`, else the open stage it left
    when it closed, else its pipeline's first open stage."""
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    if record.status == DealStatus.OPEN:
        return record
    target = None
    if stage is not None:
        target = _closing_stage(record.pipeline_id, StageKind.OPEN, stage)
        if target is None:
            raise CrmValidationError({"stage": [_("Choose an open stage of the deal's pipeline.")]})
    if target is None:
        last = (
            DealStageChange.objects.filter(deal=record, to_stage_id=record.stage_id)
            .exclude(from_stage=None)
            .order_by("-at", "-id")
            .values_list("from_stage_id", flat=True)
            .first()
        )
        if last is not None:
            target = _closing_stage(record.pipeline_id, StageKind.OPEN, last)
    if target is None:
        target = _closing_stage(record.pipeline_id, StageKind.OPEN, None)
    if target is None:
        raise CrmValidationError({"stage": [_("The pipeline has no open stage.")]})
    before = deal_snapshot(record)
    totals_before = totals_key(record)
    _enter_stage(
        record,
        target,
        acting_user=acting_user,
        loss_reason=None,
        loss_comment="",
        at=timezone.now(),
    )
    record.closed_at = None
    record.board_position = _top_position(target.pk)
    record.save()
    refresh_after_write(totals_before, record)
    _save_history(acting_user, source, record, before)
    return record


def _set_deal_archived(
    acting_user: Any, deal: Deal | int, archived: bool, source: ChangeSource
) -> Deal:
    ensure_workspace_writable()
    _ensure_active(acting_user)
    record = _locked_deal(acting_user, deal)
    if record.is_archived == archived:
        return record
    before = json_value(record.archived_at)
    record.archived_at = timezone.now() if archived else None
    if not archived:
        record.board_position = _top_position(record.stage_id)
    record.save(update_fields=["archived_at", "board_position", "updated_at"])
    refresh_deal_totals([record.stage_id])
    changes = Changeset(acting_user, source)
    changes.add(RecordType.DEAL, record.pk, "archived_at", before, json_value(record.archived_at))
    changes.save()
    return record


@transaction.atomic
def archive_deal(*, acting_user: User, deal: Deal | int, source: ChangeSource = FORM) -> Deal:
    """Archive a deal: off the board, the lists and the forecast; kept whole, restorable."""
    return _set_deal_archived(acting_user, deal, True, source)


@transaction.atomic
def restore_deal(*, acting_user: User, deal: Deal | int, source: ChangeSource = FORM) -> Deal:
    """Bring an archived deal back onto its board."""
    return _set_deal_archived(acting_user, deal, False, source)


# ---------------------------------------------------------------- pipelines and stages


def _pipeline_name(value: Any) -> str:
    name = _text(value, 120)
    if not name:
        raise CrmValidationError({"name": [_("Give it a name.")]})
    return name


def _probability(value: Any) -> int:
    number = _int_or_none(value)
    if number is None or not 0 <= number <= 100:
        raise CrmValidationError({"probability": [_("Enter a probability from 0 to 100.")]})
    return number


def _kind(value: Any) -> str:
    if value not in StageKind.values:
        raise CrmValidationError({"kind": [_("Choose open, won or lost.")]})
    return str(value)


def _check_pipeline_shape(pipeline_id: int) -> None:
    """Refuse a change that would leave a pipeline without an open, a won or a lost stage."""
    kinds = set(
        Stage.objects.filter(pipeline_id=pipeline_id, archived_at__isnull=True).values_list(
            "kind", flat=True
        )
    )
    missing = [kind for kind in StageKind.values if kind not in kinds]
    if missing:
        raise CrmValidationError(
            {
                "kind": [
                    _("A pipeline needs at least one open stage, one won stage and one lost stage.")
                ]
            }
        )


@transaction.atomic
def create_pipeline(*, acting_user: User, name: str) -> Pipeline:
    """A new pipeline with three stages to start from (in progress, won, lost)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    ensure_default_pipeline()
    text = _pipeline_name(name)
    position = (Pipeline.objects.aggregate(high=Max("position"))["high"] or 0) + 1
    pipeline = Pipeline.objects.create(name=text, position=position)
    Stage.objects.bulk_create(
        [
            Stage(
                pipeline=pipeline, name=_("New"), probability=10, kind=StageKind.OPEN, position=0
            ),
            Stage(
                pipeline=pipeline, name=_("Won"), probability=100, kind=StageKind.WON, position=1
            ),
            Stage(
                pipeline=pipeline, name=_("Lost"), probability=0, kind=StageKind.LOST, position=2
            ),
        ]
    )
    return pipeline


def _locked_pipeline(pipeline: Pipeline | int) -> Pipeline:
    pk = pipeline.pk if isinstance(pipeline, Pipeline) else _int_or_none(pipeline)
    found = Pipeline.objects.select_for_update().filter(pk=pk or 0).first()
    if found is None:
        raise CrmNotFoundError()
    return found


@transaction.atomic
def rename_pipeline(*, acting_user: User, pipeline: Pipeline | int, name: str) -> Pipeline:
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_pipeline(pipeline)
    found.name = _pipeline_name(name)
    found.save(update_fields=["name"])
    return found


@transaction.atomic
def archive_pipeline(*, acting_user: User, pipeline: Pipeline | int) -> Pipeline:
    """Hide a pipeline from boards and forms; its deals stay (and can be restored with it).

    The workspace keeps at least one active pipeline.
    """
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_pipeline(pipeline)
    if found.archived_at is not None:
        return found
    if not Pipeline.objects.filter(archived_at__isnull=True).exclude(pk=found.pk).exists():
        raise CrmValidationError({"__all__": [_("The workspace needs at least one pipeline.")]})
    found.archived_at = timezone.now()
    found.save(update_fields=["archived_at"])
    return found


@transaction.atomic
def restore_pipeline(*, acting_user: User, pipeline: Pipeline | int) -> Pipeline:
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_pipeline(pipeline)
    found.archived_at = None
    found.save(update_fields=["archived_at"])
    return found


@transaction.atomic
def create_stage(
    *,
    acting_user: User,
    pipeline: Pipeline | int,
    name: str,
    probability: Any,
    kind: str = StageKind.OPEN,
) -> Stage:
    """Add a stage to the end of the pipeline's open stages (won/lost ones at the end)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_pipeline(pipeline)
    stage_kind = _kind(kind)
    stage = Stage(
        pipeline=found,
        name=_pipeline_name(name),
        probability=_probability(probability),
        kind=stage_kind,
    )
    stages = found.stages.filter(archived_at__isnull=True)
    if stage_kind == StageKind.OPEN:
        first_closed = stages.exclude(kind=StageKind.OPEN).aggregate(low=Min("position"))["low"]
        if first_closed is not None:
            found.stages.filter(position__gte=first_closed).update(position=F("position") + 1)
            stage.position = first_closed
        else:
            stage.position = (stages.aggregate(high=Max("position"))["high"] or 0) + 1
    else:
        stage.position = (found.stages.aggregate(high=Max("position"))["high"] or 0) + 1
    stage.save()
    return stage


def _locked_stage(stage: Stage | int) -> Stage:
    pk = stage.pk if isinstance(stage, Stage) else _int_or_none(stage)
    found = Stage.objects.select_for_update().filter(pk=pk or 0).first()
    if found is None:
        raise CrmNotFoundError()
    return found


@transaction.atomic
def update_stage(
    *,
    acting_user: User,
    stage: Stage | int,
    name: str | None = None,
    probability: Any = None,
    kind: str | None = None,
) -> Stage:
    """Rename a stage, change its probability or kind (deals in it follow the new kind)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_stage(stage)
    if name is not None:
        found.name = _pipeline_name(name)
    if probability is not None:
        found.probability = _probability(probability)
    kind_changed = False
    if kind is not None and kind != found.kind:
        found.kind = _kind(kind)
        kind_changed = True
    found.save()
    if kind_changed:
        _check_pipeline_shape(found.pipeline_id)
        if found.deals.filter(kind_guard_lost(found)).exists():
            raise CrmValidationError(
                {"kind": [_("Deals in this stage have no loss reason: move them first.")]}
            )
        now = timezone.now()
        found.deals.update(
            status=found.kind,
            closed_at=None if found.kind == StageKind.OPEN else now,
        )
        refresh_deal_totals([found.pk])
    return found


def kind_guard_lost(stage: Stage) -> Any:
    """Deals that would be lost without a reason if `stage` became a lost stage."""
    from django.db.models import Q

    if stage.kind != StageKind.LOST:
        return Q(pk__in=[])
    return Q(loss_reason__isnull=True)


@transaction.atomic
def reorder_stages(
    *, acting_user: User, pipeline: Pipeline | int, ordered_ids: Sequence[int]
) -> None:
    """Put the pipeline's stages in this order (ids not named keep their place after them)."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_pipeline(pipeline)
    stages = {stage.pk: stage for stage in found.stages.all()}
    order = [pk for pk in ordered_ids if pk in stages]
    order += [
        pk for pk in sorted(stages, key=lambda pk: (stages[pk].position, pk)) if pk not in order
    ]
    for index, pk in enumerate(order):
        stages[pk].position = index
    Stage.objects.bulk_update(stages.values(), ["position"])


@transaction.atomic
def archive_stage(
    *, acting_user: User, stage: Stage | int, move_deals_to: Stage | int | None = None
) -> Stage:
    """Archive a stage. Its deals (archived ones too) move to `move_deals_to` first (a
    stage of the same pipeline); a stage still holding deals without one is refused.

    Moved deals get a stage change each; into a lost stage they need reasons, so lost
    stages only take deals from another lost stage.
    """
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_stage(stage)
    if found.archived_at is not None:
        return found
    deals = list(Deal.objects.select_for_update().filter(stage=found))
    if deals:
        if move_deals_to in (None, ""):
            raise CrmValidationError(
                {"move_deals_to": [_("This stage still has deals: choose the stage they move to.")]}
            )
        target = _active_stage(move_deals_to)
        if target is None or target.pipeline_id != found.pipeline_id or target.pk == found.pk:
            raise CrmValidationError(
                {"move_deals_to": [_("Choose another stage of the same pipeline.")]}
            )
        if target.kind == StageKind.LOST and found.kind != StageKind.LOST:
            raise CrmValidationError(
                {
                    "move_deals_to": [
                        _("Deals need a loss reason each: move them to a lost stage one by one.")
                    ]
                }
            )
        now = timezone.now()
        position = _bottom_position(target.pk)
        for deal in deals:
            _enter_stage(
                deal,
                target,
                acting_user=acting_user,
                loss_reason=deal.loss_reason,
                loss_comment=deal.loss_comment,
                at=now,
            )
            deal.board_position = position
            position += POSITION_GAP
        Deal.objects.bulk_update(
            deals,
            [
                "stage",
                "status",
                "closed_at",
                "stage_entered_at",
                "board_position",
                "loss_reason",
                "loss_comment",
                "lost_from_stage",
            ],
            batch_size=500,
        )
        refresh_deal_totals([found.pk, target.pk])
        changes = Changeset(acting_user, SYSTEM, at=now)
        for deal in deals:
            changes.add(RecordType.DEAL, deal.pk, "stage", found.pk, target.pk)
        changes.save()
    found.archived_at = timezone.now()
    found.save(update_fields=["archived_at"])
    _check_pipeline_shape(found.pipeline_id)
    return found


@transaction.atomic
def restore_stage(*, acting_user: User, stage: Stage | int) -> Stage:
    ensure_workspace_writable()
    _require_admin(acting_user)
    found = _locked_stage(stage)
    found.archived_at = None
    found.save(update_fields=["archived_at"])
    return found


# ---------------------------------------------------------------- loss reasons


@transaction.atomic
def create_loss_reason(*, acting_user: User, name: str) -> LossReason:
    ensure_workspace_writable()
    _require_admin(acting_user)
    text = _pipeline_name(name)
    existing = LossReason.objects.filter(name__iexact=text).first()
    if existing is not None:
        if existing.archived_at is None:
            raise CrmValidationError({"name": [_("This reason is already on the list.")]})
        existing.archived_at = None
        existing.save(update_fields=["archived_at"])
        return existing
    position = (LossReason.objects.aggregate(high=Max("position"))["high"] or 0) + 1
    return LossReason.objects.create(name=text, position=position)


@transaction.atomic
def rename_loss_reason(*, acting_user: User, reason: LossReason | int, name: str) -> LossReason:
    ensure_workspace_writable()
    _require_admin(acting_user)
    pk = reason.pk if isinstance(reason, LossReason) else _int_or_none(reason)
    found = LossReason.objects.select_for_update().filter(pk=pk or 0).first()
    if found is None:
        raise CrmNotFoundError()
    text = _pipeline_name(name)
    if LossReason.objects.filter(name__iexact=text).exclude(pk=found.pk).exists():
        raise CrmValidationError({"name": [_("This reason is already on the list.")]})
    found.name = text
    found.save(update_fields=["name"])
    return found


@transaction.atomic
def archive_loss_reason(
    *, acting_user: User, reason: LossReason | int, archived: bool = True
) -> LossReason:
    """Take a reason off the list for new losses (deals lost for it keep it); or restore it."""
    ensure_workspace_writable()
    _require_admin(acting_user)
    pk = reason.pk if isinstance(reason, LossReason) else _int_or_none(reason)
    found = LossReason.objects.select_for_update().filter(pk=pk or 0).first()
    if found is None:
        raise CrmNotFoundError()
    found.archived_at = timezone.now() if archived else None
    found.save(update_fields=["archived_at"])
    return found
