"""`rwa rules`: apply per-asset compliance rule sets from YAML files, show what the chain holds."""

from __future__ import annotations

import getpass
from decimal import Decimal
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from backend.assets.service import get_asset
from backend.commands.common import (
    BAD_INPUT,
    EXIT_CODES_HELP,
    FAILED,
    SETTINGS_HELP,
    console,
    err_console,
    service_context,
)
from backend.compliance import rulesets
from backend.compliance.rulefiles import RULES_DIR, RuleFile, RuleFileError, changed, diff, load_rule_files
from backend.compliance.rules import RuleSet
from backend.governance import log
from backend.governance.legacy import UNSPECIFIED

app = typer.Typer(
    help="Per-asset compliance rule sets (YAML files under scripts/compliance/rules/). " + SETTINGS_HELP,
    no_args_is_help=True,
)


def print_diff(out: Console, heading: str, before: RuleSet, after: RuleSet) -> None:
    """A heading line (never wrapped into the table's width), then field / before / after."""
    out.print(f"[bold]{heading}[/]", highlight=False, soft_wrap=True)
    out.print(diff_table(before, after))


def diff_table(before: RuleSet, after: RuleSet) -> Table:
    table = Table(show_edge=False)
    for column in ("field", "before", "after", ""):
        table.add_column(column)
    for change in diff(before, after):
        style = "yellow" if change.changed else "dim"
        table.add_row(change.field, change.before, change.after, "← changes" if change.changed else "", style=style)
    return table


def _load(files: list[Path]) -> list[RuleFile]:
    try:
        return load_rule_files(files)
    except RuleFileError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]error:[/] {problem}", highlight=False)
        raise typer.Exit(BAD_INPUT) from None


@app.command(
    "check",
    short_help="validate rule files (file:line: field: problem), offline",
    help="Validate rule files against the schema (file:line: field: problem) without "
    "touching the chain or the database. " + EXIT_CODES_HELP,
)
def check(
    files: list[Path] = typer.Argument(
        ..., metavar="FILE_OR_DIR...", help="rule files, or directories of *.yaml files"
    ),
) -> None:
    for rule_file in _load(files):
        console.print(f"[green]✓[/] {rule_file.path}: {rule_file.symbol}", highlight=False)


@app.command(
    "apply",
    short_help="apply rule files on chain with a before/after diff; --dry-run sends nothing",
    help="Apply rule sets on chain (ComplianceRules.setRules, sent by the operator) and "
    "print a before/after diff per asset. Every file is validated first: a bad file "
    "changes nothing; a rule set already in force is not sent again. --dry-run shows "
    "the diff without sending. " + SETTINGS_HELP + " " + EXIT_CODES_HELP,
)
def apply(
    files: list[Path] = typer.Argument(
        ..., metavar="FILE_OR_DIR...", help="rule files, or directories of *.yaml files (e.g. scripts/compliance/rules)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="show the before/after diff without sending anything"),
) -> None:
    rule_files = _load(files)
    mismatched = 0
    with service_context() as ctx:
        assets = {rf.symbol: get_asset(ctx.session, rf.symbol) for rf in rule_files}  # unknown symbol: exit 2
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
        ) as progress:
            task = progress.add_task("applying rule sets", total=len(rule_files))
            for rule_file in rule_files:
                asset = assets[rule_file.symbol]
                progress.update(task, description=f"{asset.symbol}: reading the rule set on chain")
                before, target = rulesets.get_rules(ctx.chain, asset), rule_file.rule_set()
                where = f"{asset.symbol} ({rule_file.path}) rules {asset.rules_address}"
                if dry_run:
                    what = "would change the marked fields" if changed(diff(before, target)) else "no change"
                    print_diff(progress.console, f"{where} - dry run, nothing sent ({what})", before, target)
                elif not changed(diff(before, target)):
                    print_diff(progress.console, f"{where} - already in force, nothing sent", before, target)
                else:
                    progress.update(task, description=f"{asset.symbol}: sending setRules")
                    body = {**rule_file.api_body(), "max_balance": Decimal(rule_file.api_body()["max_balance"])}
                    tx_hash = rulesets.set_rules(ctx.session, ctx.chain, asset, **body)
                    # a rule change is a privileged action: in the audit log, as the older routes'
                    log.append(
                        ctx.session,
                        log.Action(
                            actor=f"cli:{getpass.getuser()}",
                            action="asset.rules",
                            reason_code=UNSPECIFIED,
                            reason=f"no reason given (rwa rules apply {rule_file.path.name})",
                            asset=asset.symbol,
                            tx_hash=tx_hash,
                        ),
                    )
                    after = rulesets.get_rules(ctx.chain, asset)
                    print_diff(progress.console, f"{where} - applied, tx {tx_hash}", before, after)
                    if changed(diff(target, after)):
                        mismatched += 1
                        err_console.print(
                            f"[red]error:[/] {asset.symbol}: the chain holds a different rule set "
                            "than the file after the transaction",
                            highlight=False,
                        )
                progress.advance(task)
    if mismatched:
        raise typer.Exit(FAILED)


@app.command(
    "show",
    short_help="the rule set on chain, beside its YAML file",
    help="Show the rule set the asset's ComplianceRules contract holds now, beside "
    "scripts/compliance/rules/SYMBOL.yaml when that file exists (--yaml prints it as a "
    "rule file). " + SETTINGS_HELP + " " + EXIT_CODES_HELP,
)
def show(
    symbol: str = typer.Argument(..., metavar="SYMBOL", help="asset symbol, e.g. ACME"),
    as_yaml: bool = typer.Option(False, "--yaml", help="print the chain's rule set as a rule file"),
) -> None:
    with service_context() as ctx:
        asset = get_asset(ctx.session, symbol)
        onchain = rulesets.get_rules(ctx.chain, asset)
    public = rulesets.rules_public(onchain)
    if as_yaml:
        print(yaml.safe_dump({"symbol": asset.symbol, **public}, sort_keys=False), end="")
        return
    path = RULES_DIR / f"{asset.symbol}.yaml"
    file_rules = None
    if path.exists():
        try:
            file_rules = load_rule_files([path])[0].rule_set()
        except RuleFileError as exc:
            err_console.print(f"[yellow]warning:[/] {exc}", highlight=False)
    if file_rules is None:
        table = Table(title=f"{asset.symbol} rules on chain ({asset.rules_address})", title_justify="left")
        table.add_column("field")
        table.add_column("on chain")
        for change in diff(onchain, onchain):
            table.add_row(change.field, change.before)
        console.print(table)
        return
    print_diff(console, f"{asset.symbol}: on chain ({asset.rules_address}) -> {path.name}", onchain, file_rules)
    if changed(diff(onchain, file_rules)):
        console.print(f"the chain differs from {path}: `rwa rules apply {path}` would change the marked fields")
    else:
        console.print(f"[green]✓[/] the chain holds the rule set of {path}")
