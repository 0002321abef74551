"""Reads of the CRM that are more than one query, one module per area."""
