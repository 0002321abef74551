"""The CRM's models, one module per area; every model is re-exported here for Django."""
