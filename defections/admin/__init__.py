"""Researchers' admin: fast, sourced, reviewed data entry with full history.

The rules live elsewhere and are only applied here: the workflow in workflow.py, the
forms (partial dates, stale saves, duplicates) in admin/forms.py, CSV in csv_io.py, history in
history.py. See docs/readme-admin.md.
"""

# Registering the admins is importing them.
from defections.admin import cases, records, site  # noqa: F401
