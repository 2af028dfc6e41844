import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints, receipts, tasks
from audit.selectors import sealed_size, verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit log: every event's keyed hash, the Merkle tree against every signed "
        "checkpoint (AUDIT_CHECKPOINT_DIR, the database's, those given, those witnesses "
        "cosigned) and the records the events bind. Exits non-zero naming what happened: "
        "altered, removed, cut back, rolled back, record differs, deleted (a receipt)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="DIR",
            help="Read the checkpoints from DIR instead of AUDIT_CHECKPOINT_DIR "
            "(for example a copy kept on another machine).",
        )
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            action="append",
            default=[],
            help="Also hold the log against this signed checkpoint (a copy someone kept).",
        )
        parser.add_argument(
            "--receipt",
            metavar="FILE",
            action="append",
            default=[],
            help="Check that the event of this receipt is still in the log, unchanged.",
        )
        parser.add_argument(
            "--no-records", action="store_true", help="Skip the records the events bind."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        folder = checkpoints.directory(options.get("checkpoints"))
        given = [Path(f).read_text(encoding="utf-8") for f in options["checkpoint"]]
        result = verify_log(path=folder, given=given, records=not options["no_records"])
        if result.ok:
            for name in options["receipt"]:
                try:
                    problem = receipts.check(
                        Path(name).read_text(encoding="utf-8"), sealed_size=sealed_size()
                    )
                except receipts.ReceiptError as exc:
                    problem = f"{name}: {exc}"
                if problem:
                    result.ok, result.problem = False, problem
                    break
        elapsed = time.perf_counter() - started
        if options.get("checkpoints") is None:  # the operator's own directory: it counts
            tasks.report(result)
        if not result.ok:
            where = f" at event #{result.first_bad}" if result.first_bad else ""
            raise CommandError(
                f"Audit log broken{where}: {result.problem} "
                f"({result.checked} events verified before it)."
            )
        rate = result.checked / elapsed if elapsed > 0 else 0
        if result.held_against:
            held = f"; the tree holds against {result.held_against} signed checkpoint(s)"
        else:
            held = f"; no checkpoint found in {folder} (nothing to hold it against)"
        self.stdout.write(
            f"Audit log intact: {result.checked} events verified in {elapsed:.2f}s "
            f"({rate:,.0f} events/s), {result.records} bound records match{held}."
        )
