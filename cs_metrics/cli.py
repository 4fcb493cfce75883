"""The command line: ``python -m cs_metrics demo | load | report | simulate``.

Exit status 0 on success; 2 on bad input or arguments, with one line per problem on
standard error (file, row, column, what was expected) and never a traceback for a
user's mistake.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from cs_metrics.errors import InputError, PolarisError
from cs_metrics.i18n import t
from cs_metrics.workspace import KINDS, Workspace, write_sample

EXIT_OK, EXIT_BAD_INPUT = 0, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def open_workspace(spec: str, create: bool = True) -> Workspace:
    """``--workspace``: a path (contains a slash or ends in .duckdb) or a workspace name."""
    if "/" in spec or "\\" in spec or spec.endswith(".duckdb"):
        path = Path(spec)
        return Workspace.create(path) if create else Workspace.open(path)
    return Workspace.open_named(spec, create=create)


def _parse_map(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"--map {pair!r}: expected SOURCE=canonical, e.g. --map \"客户编号=account_id\".")
        source, canonical = pair.split("=", 1)
        mapping[source.strip()] = canonical.strip()
    return mapping


def cmd_demo(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    try:
        counts = write_sample(ws, n_accounts=args.accounts)
    finally:
        ws.close()
    summary = ", ".join(f"{kind} {rows:,}" for kind, rows in counts.items())
    print(t("cli.demo_done", args.lang, workspace=args.workspace, counts=summary))
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from cs_metrics import ingest

    mapping = _parse_map(args.map)
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file.", [f"{m}: no such file." for m in missing])
    ws = open_workspace(args.workspace)
    try:
        # Accounts first, so the other files can be matched to them.
        order = sorted(args.files, key=lambda f: 0 if _kind_of(ingest, f, args) == "accounts" else 1)
        for path in order:
            result = ingest.load_path(ws, path, kind=args.kind, mapping_overrides=mapping,
                                      sheet=args.sheet, date_order=args.date_order,
                                      mode=_mode(args, ws, path, ingest), lang=args.lang)
            for warning in result.warnings:
                print(f"{t('cli.warning', args.lang)}: {warning}", file=sys.stderr)
            for issue in result.issues:
                if issue.key == "ingest.note.merged":
                    print(issue.message(args.lang))
            line = t("cli.loaded", args.lang, file=Path(path).name, kind=result.kind,
                     rows=f"{result.rows:,}", workspace=args.workspace)
            print(line)
            if result.match is not None:
                from cs_metrics import matching

                print("  " + matching.report_text(result.match, args.lang).replace("\n", "\n  "))
    finally:
        ws.close()
    return EXIT_OK


def _mode(args: argparse.Namespace, ws: Workspace, path: str, ingest) -> str:
    """--append adds rows; a second accounts file is merged into the accounts already loaded
    (another system's view of the same customers) unless --replace is given."""
    if args.append:
        return "append"
    if not args.replace and ws.has("accounts") and _kind_of(ingest, path, args) == "accounts":
        return "merge"
    return "replace"


def _kind_of(ingest, path: str, args: argparse.Namespace) -> str:
    if args.kind:
        return args.kind
    try:
        raw = ingest.inspect_file(path, sheet=args.sheet)
        return ingest.detect_kind(raw)[0]
    except PolarisError:
        return ""


def cmd_report(args: argparse.Namespace) -> int:
    from cs_metrics import report

    ws = open_workspace(args.workspace, create=False)
    try:
        figures = report.build_report(ws.con, as_of=args.as_of, window_months=args.window_months,
                                      health_settings=None)
        currency = ws.currency
    finally:
        ws.close()
    if args.format == "json":
        print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    else:
        print(report.format_text(figures, args.lang, currency))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from cs_metrics import simulate

    try:
        result = simulate.simulate_report(
            args.churn or None, arpa=args.arpa, gross_margin=args.gross_margin,
            cost_to_serve=args.cost_to_serve, cac=args.cac, onboarding=args.onboarding,
            monthly_expansion=args.expansion, horizon_months=args.horizon,
            churn_basis="monthly" if args.monthly else "annual")
    except InputError as exc:
        lines = simulate.error_text(exc, args.lang).splitlines()
        raise InputError(lines[0], lines) from None
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        print(simulate.format_text(result, args.lang))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m cs_metrics", description="Polaris customer-success analytics.")
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help="language of messages")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="write the bundled sample company into a workspace")
    demo.add_argument("--workspace", required=True, help="workspace name or path to a .duckdb file")
    demo.add_argument("--accounts", type=int, default=1000, help="number of accounts (default 1000)")
    demo.set_defaults(func=cmd_demo)

    load = sub.add_parser("load", help="read CSV/TSV/XLSX exports into a workspace")
    load.add_argument("files", nargs="+")
    load.add_argument("--workspace", required=True)
    load.add_argument("--kind", choices=KINDS)
    load.add_argument("--map", action="append", default=[], metavar="SRC=canonical")
    load.add_argument("--sheet")
    load.add_argument("--date-order", choices=["dmy", "mdy", "ymd"], help="day/month order of ambiguous dates")
    load.add_argument("--append", action="store_true", help="append rows instead of replacing the table")
    load.add_argument("--replace", action="store_true",
                      help="replace the accounts table instead of merging a second accounts file into it")
    load.set_defaults(func=cmd_load)

    rep = sub.add_parser("report", help="headline figures of a workspace")
    rep.add_argument("--workspace", required=True)
    rep.add_argument("--as-of", metavar="YYYY-MM")
    rep.add_argument("--window-months", type=int, default=12)
    rep.add_argument("--format", choices=["json", "text"], default="text")
    rep.set_defaults(func=cmd_report)

    sim = sub.add_parser("simulate", help="leaky-bucket break-even for each churn rate")
    sim.add_argument("--churn", type=float, action="append", help="annual churn (0.25); repeatable")
    sim.add_argument("--monthly", action="store_true", help="--churn values are monthly rates")
    sim.add_argument("--arpa", type=float, default=1000.0)
    sim.add_argument("--gross-margin", type=float, default=0.75)
    sim.add_argument("--cost-to-serve", type=float, default=150.0)
    sim.add_argument("--cac", type=float, default=16000.0)
    sim.add_argument("--onboarding", type=float, default=4000.0)
    sim.add_argument("--expansion", type=float, default=0.0, help="monthly expansion rate")
    sim.add_argument("--horizon", type=int, default=120, help="months")
    sim.add_argument("--format", choices=["json", "text"], default="text")
    sim.set_defaults(func=cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        for problem in exc.problems:
            print(f"{t('cli.error', args.lang)}: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolarisError as exc:
        print(f"{t('cli.error', args.lang)}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
