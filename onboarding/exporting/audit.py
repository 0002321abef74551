"""How export entries of the workspace's audit log read ("Exported 1,234 contacts (CSV)")."""

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onboarding.exporting.models import ExportEntity, ExportFormat
from tenants.members.audit import register_audit_action

EXPORT_AUDIT_ACTION = "data.exported"


def describe_export(changes: object) -> str:
    """The entry's text in the reader's language, from what the export recorded."""
    details = changes.get("_export") if isinstance(changes, dict) else None
    if not isinstance(details, dict):
        return str(_("Data exported"))
    what: str
    try:
        what = str(ExportEntity(str(details.get("entity") or "")).label)
    except ValueError:
        what = str(details.get("entity") or "")
    try:
        file_format = ExportFormat(str(details.get("format") or "")).value.upper()
    except ValueError:
        file_format = str(details.get("format") or "")
    rows = details.get("rows")
    if rows is None:
        return _("Exported %(what)s (%(format)s)") % {
            "what": str(what).lower(),
            "format": file_format,
        }
    return _("Exported %(count)s rows of %(what)s (%(format)s)") % {
        "count": formats.number_format(int(rows), force_grouping=True),
        "what": str(what).lower(),
        "format": file_format,
    }


register_audit_action(EXPORT_AUDIT_ACTION, gettext_lazy("Data exported"), describe_export)
