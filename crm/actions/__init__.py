"""Every write of the CRM, one module per area (see CONVENTIONS.md: writes go through actions)."""
