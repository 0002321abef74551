"""What each member chose for their own pages (the columns of a list, in order)."""

from django.conf import settings
from django.db import models

from crm.models.clients import RecordType


class ListColumns(models.Model):
    """The columns one member shows on one list (contacts or companies), in their order."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    # Column keys as crm.views.columns names them ("name", "phones", "custom.<key>").
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "record_type"], name="crm_list_columns_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.record_type}: {', '.join(self.columns)}"
