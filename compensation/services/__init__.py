"""Every change to the ledger and the payout batches, one module per concept.

| module | what changes there |
|---|---|
| `ledger` | what every write shares: amounts, currencies, one entry written once, reversals |
| `accruals` | the terms turned into entries (hours, bounties, stipends, another app's record) |
| `awards` | entries made by hand: prizes, grants, adjustments, and reversals by finance |
| `approvals` | approving pay: one entry, an entry with its reversal, many at once |
| `rates` | exchange rates finance records, and the conversion the two-person limit uses |
| `tax_status` | a payee's tax status (sent or recorded), and the rule that pay waits for one |
| `batches` | payout batches: which entries, locking them, building lines and files |
| `reconciliation` | settling a batch: by hand, a provider's CSV, a bank statement |
| `payout_details` | how a person wants to be paid |

Accruals are idempotent: each entry has an `idempotency_key` derived from what it pays
for, so running an accrual twice accrues once. Approvals, exports and payments move
entries' workflow columns forward; money is never edited, a correction is a reversal entry.
Callers import the package (`from compensation import services; services.batch_create`);
the names below are its public interface.
"""

from .accruals import (
    AccrualResult,
    accrue_bounties,
    accrue_hourly,
    accrue_once,
    accrue_stipends,
    bounty_follow_ticket,
    stipend_period,
)
from .approvals import (
    BulkApproval,
    approval_period,
    entries_approve,
    entry_approve,
    needs_two_approvers,
    payee_period_total,
)
from .awards import (
    award_create,
    entry_restore,
    entry_reverse,
    line_cost_owed,
    refuse_threshold_raise_by_awarder,
)
from .batches import (
    batch_build,
    batch_candidates,
    batch_check,
    batch_create,
    batch_file,
    batch_files_forget,
    batch_retry,
    batch_tax_waiting,
    write_lines,
)
from .clock import payments_escalate
from .payout_details import payout_details_set
from .rates import convert, rate_on, rate_record
from .reconciliation import (
    Mismatch,
    ReconciliationFailed,
    StatementImport,
    batch_import_statement,
    batch_mark_paid,
    batch_reconcile,
    import_match,
    parse_provider_csv,
)
from .tax_status import forms_asked, tax_form_send, tax_status_record

__all__ = [
    "AccrualResult",
    "BulkApproval",
    "Mismatch",
    "ReconciliationFailed",
    "StatementImport",
    "accrue_bounties",
    "accrue_hourly",
    "accrue_once",
    "accrue_stipends",
    "approval_period",
    "award_create",
    "batch_build",
    "batch_candidates",
    "batch_check",
    "batch_create",
    "batch_file",
    "batch_files_forget",
    "batch_import_statement",
    "batch_mark_paid",
    "batch_reconcile",
    "batch_retry",
    "batch_tax_waiting",
    "bounty_follow_ticket",
    "convert",
    "entries_approve",
    "entry_approve",
    "entry_restore",
    "line_cost_owed",
    "payments_escalate",
    "entry_reverse",
    "needs_two_approvers",
    "import_match",
    "parse_provider_csv",
    "payee_period_total",
    "payout_details_set",
    "rate_on",
    "rate_record",
    "refuse_threshold_raise_by_awarder",
    "stipend_period",
    "forms_asked",
    "tax_form_send",
    "tax_status_record",
    "write_lines",
]
