"""What vulture (`make test`) reports as unused but is reached another way, with the reason.

Only read by vulture, never run. Add a name here only with its reason; dead code is deleted.
"""

# Named by dotted path in config/settings.py (REST_FRAMEWORK, SPECTACULAR_SETTINGS, CACHES,
# ACCOUNT_ADAPTER, MFA, CELERY beat, FORM_RENDERER, MIDDLEWARE, LOGGING, TEMPLATES):
TokenScopePermission, StaffTwoFactorPermission, TokenRateThrottle, FilterBackend
TokenAuthenticationScheme, ServiceTokenAuthenticationScheme, postprocess
AccountAdapter, SecondFactorStage, Scheduler, ResilientRedisCache, FormRenderer
formatter, navigation

# Hooks their framework calls by name (DRF, allauth, Django forms and caches, prometheus_client,
# http.server, gunicorn, io, PEP 562, structlog):
_.allow_request, _.pre_authenticate, _.prepare_value, _.collect, _.log_message, _.writable
has_key, set_many, touch, delete_many, child_exit, __getattr__, _.format_request
input_type, default_validators, default_error_messages, allow_multiple_selected
_.accepted_renderer, _.site_header, _._login_failed_rl_usage

# Declared fields of serializers, FilterSets and forms (DRF and django-filter read the class):
reason_label, has_file, progress_percent, terms_sha256, not_allowed, default_empty_html
submitted_from, submitted_to, awaiting_me, date_from, date_to
due_later, no_deadline, decided_from, decided_to, triage_overdue, response_overdue
bounty_low, bounty_medium, bounty_high, bounty_critical
file_base64

# Model fields written through the ORM, read by templates and the API:
_.provider_sha256, _.xlsx_sha256, _.rows_done, _.document_type, _.moved_to, _.last_error
_.is_staff, _.needs_info_seconds, _.dispute_answer, _.ledger_entry

# Read by templates (a dataclass's fields) or by migrations and models.py (left out of the scan):
month_weeks, previous_week, next_week, urgent, function
matched_line
add_business_days  # feedback/models.py: a ticket's triage target
append_only_trigger, append_only_trigger_comparing_columns, postgres_index, AppendOnlyModel
bounded_text, gin_index_definition
decrypt_bytes, restrict_to_every_programme

# Used by the tests as the public interface of their module (the pages call the bulk forms):
new_signing_key, balance, confirmed_time_entries, time_entry_confirm, time_entry_dispute
CONTROL_CHARACTERS

# RFC 9162's in-memory tree, for its published test vectors (tests/audit/test_merkle.py):
list_subtree

# Issue 33: a serializer field (the API's schema reads the class), an attribute the statement
# template reads, a form field the consent service reads through cleaned_data.
proof_url, _.in_words, coming_hashes

# Issue 31: settings Django and the catalogue test read (config/i18n.py), Babel's pattern
# attribute set to the currency's own decimals (core.l10n.money).
LOCALE_PATHS, COMPLETE_LANGUAGES, frac_prec

# The name a competition winner chose to be shown by, read by the results template.
_.shown_as
# The forms the terms in force ask for, read by the finance list of tax statuses.
_.forms_in_force
# Issue 34: a contest of a fee keeps the amount owed; its page and the API read it.
_.amount_owed
