"""Export: contacts, companies, deals, activities and tasks out as CSV or XLSX.

The mirror of onboarding.importing: admins and owners take their data out, all of it or
what a list's filter or segment selects. Reads go through crm's selectors (the access
rule included); every export is an ExportJob (the audit record) plus a readable entry in
the workspace's audit log. Exports keep working in a read-only workspace: a customer
whose subscription lapsed still gets their data out.
"""
