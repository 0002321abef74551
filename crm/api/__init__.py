"""The CRM's REST endpoints (mounted by saas_platform.api under /api/).

Endpoints are thin: parse the request, call crm's actions and selectors with the key's
creator as `acting_user` and the key's name in history, shape the answer. The same
validation, required fields, duplicate rule and access rule as the pages hold, because
the same functions run.
"""
