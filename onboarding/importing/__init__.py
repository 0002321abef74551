"""The import engine: files people bring (CSV, XLSX, XLS, Bitrix24's HTML "xls") into the CRM.

A Django app of its own (label `importing`) because its jobs live in each workspace's
schema, while the rest of `onboarding` (signup, find-my-workspace) lives in the public one.
"""
