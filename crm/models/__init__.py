"""The CRM's models, one module per area; every model is re-exported here for Django."""

from crm.models.custom_fields import CustomField, Entity, FieldType, RequiredStandardField

__all__ = ["CustomField", "Entity", "FieldType", "RequiredStandardField"]
