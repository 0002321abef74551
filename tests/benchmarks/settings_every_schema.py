"""The project's settings with django-tenants' own migration executors.

bench_migrate times `migrate_schemas` under these to show what the project's executors
(tenants.migration_executors, which skip up-to-date schemas) save: the plain way.
"""

from saas_platform.settings import *  # noqa: F403

del GET_EXECUTOR_FUNCTION  # noqa: F821
