"""Figures (PNG) and the Markdown summary of a benchmark run."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


MIN_POINTS = 3  # fewer x values make no curve: a line through one or two points shows nothing but noise


def _too_few(xs: list, name: str) -> list[str]:
    return [
        f"(Only {len(xs)} size{'s' if len(xs) != 1 else ''} measured, fewer than {MIN_POINTS}: the table "
        f"only, no {name} chart.)",
        "",
    ]


def _one_curve(
    out: Path,
    name: str,
    heading: str,
    title: str,
    xlabel: str,
    column: str,
    xs: list,
    ys: list,
    plotted_xs: list | None = None,
    rows: list | None = None,
) -> list[str]:
    """A single median curve on a log x axis (with the interquartile range as error bars when
    ``rows`` carry q1_ms/q3_ms), and its table; no curve with fewer than MIN_POINTS x values."""
    spread_rows = rows if rows is not None and all("q1_ms" in r for r in rows) else None
    spread = spread_rows is not None
    if len(xs) >= MIN_POINTS:
        fig, ax = plt.subplots(figsize=(6, 4))
        if spread_rows is not None:
            low = [y - r["q1_ms"] for y, r in zip(ys, spread_rows, strict=True)]
            high = [r["q3_ms"] - y for y, r in zip(ys, spread_rows, strict=True)]
            ax.errorbar(
                plotted_xs or xs, ys, yerr=[low, high], fmt="o-", capsize=4, label="median; bars: interquartile range"
            )
            ax.legend(loc="best", fontsize=8)
        else:
            ax.plot(plotted_xs or xs, ys, "o-")
        ax.set(xscale="log", xlabel=xlabel, ylabel="ms (median)", title=title)
        _save(fig, out, name)
        lines = [f"### {heading}", "", f"![{heading}]({name})", ""]
    else:
        lines = [f"### {heading}", ""] + _too_few(xs, name)
    if spread:
        assert rows is not None
        return (
            lines
            + [f"| {column} | ms (median) | interquartile range (ms) | samples |", "|---:|---:|---:|---:|"]
            + [f"| {x} | {y} | {r['q1_ms']} to {r['q3_ms']} | {r['n']} |" for x, y, r in zip(xs, ys, rows, strict=True)]
            + [""]
        )
    return (
        lines
        + [f"| {column} | ms (median) |", "|---:|---:|"]
        + [f"| {x} | {y} |" for x, y in zip(xs, ys, strict=True)]
        + [""]
    )


def pending_finding(rows: list[dict]) -> list[str]:
    """What /mine with the most pending transactions vs none shows, as a ratio with its
    interquartile range; a range that covers 1 is said to show no difference."""
    from .util import ratio_spread

    first, last = rows[0], rows[-1]
    if "samples_ms" not in first or "samples_ms" not in last or len(rows) < 2:
        return []
    if min(first["n"], last["n"]) < MIN_POINTS:
        return [
            f"With {min(first['n'], last['n'])} sample(s) per size the spread is unknown: no difference can be "
            f"read from these numbers (proof of work makes each /mine take a random time).",
            "",
        ]
    r = ratio_spread(last["samples_ms"], first["samples_ms"])
    verdict = (
        (
            "the range covers 1: at this many samples no difference is shown (proof of work makes each /mine "
            "take a random time)"
        )
        if r["covers_1"]
        else ("slower with more pending transactions" if r["q1"] > 1 else "faster with more pending transactions")
    )
    return [
        f"/mine with {last['pending']} pending vs {first['pending']}: ratio {r['ratio']} (interquartile range "
        f"{r['q1']} to {r['q3']}, over {r['pairs']} pairs of samples); {verdict}.",
        "",
    ]


V1 = {"audit_10k_s": 26, "restart_snapshot_s": 2.0, "predict_ms": 0.15, "hash_ratio": 0.78}


def protocol_lines(p: dict) -> list[str]:
    """The protocol v2 table: each goal of the protocol issue beside version 1's figure."""
    v = {row["blocks"]: row for row in p["verification"]}
    rs = {row["blocks"]: row for row in p["restart"]}
    small, large = min(v), max(v)
    h = p["hash_rate"]
    rows = [
        (
            f"full verification of {small:,} blocks of 1 flower (audit, median)",
            f"{V1['audit_10k_s']} s",
            "< 2 s",
            f"{v[small]['audit_s']} s",
        ),
        (
            f"the same for {large:,} blocks",
            "hours (extrapolated)",
            "< 15 s, within 12x of the line above",
            f"{v[large]['audit_s']} s ({round(v[large]['audit_s'] / v[small]['audit_s'], 1)}x; "
            f"verifier command: {rs[large].get('verifier_cli_s', '-')} s)",
        ),
        (
            f"restart of a node holding {large:,} blocks",
            f"{V1['restart_snapshot_s']} s with a snapshot",
            "< 3 s; < 15 s without a snapshot",
            f"{rs[large]['with_snapshot_s']} s with, {rs[large]['without_snapshot_s']} s without "
            f"(python app.py until /health answers: {rs[large].get('node_process_restart_s', '-')} s)",
        ),
        (
            f"reorg of depth {p['reorg']['depth']} at height {p['reorg']['height']:,}",
            "full replay",
            "< 1 s",
            f"{p['reorg']['reorg_s']} s",
        ),
        (
            f"/flower/predict at {p['predict']['rows']:,} training rows, in process",
            f"{V1['predict_ms']} ms",
            "< 2 ms",
            f"{p['predict']['median_ms']} ms (p99 {p['predict']['p99_ms']})",
        ),
        (
            f"hash rate via /mine at D={h['difficulty']} (default miners) vs one core's loop",
            f"{V1['hash_ratio']}x",
            ">= 1.6x on 2 cores",
            f"{h['ratio']}x ({h['mine_hashes_per_s']:,} vs {h['one_core_hashes_per_s']:,} "
            f"hashes/s; /mine median {h['mine_median_ms']} ms)",
        ),
    ]
    return (
        ["### Protocol v2 at scale", "", "| work | version 1 | goal | version 2 (this run) |", "|---|---|---|---|"]
        + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        + [
            "",
            f"Audit cost per block: {v[small]['audit_s'] / small * 1e3:.3f} ms at {small:,} blocks, "
            f"{v[large]['audit_s'] / large * 1e3:.3f} ms at {large:,} (linearity ratio {p['linearity']}).",
            "",
        ]
    )


def render(r: dict, out: Path) -> str:
    lines = [
        f"Benchmark run {r['started']} ({'quick' if r['config']['quick'] else 'full'}), "
        f"{r['machine']['cpus']} CPUs, Python {r['machine']['python']}.",
        "",
    ]
    if "protocol" in r:
        lines += protocol_lines(r["protocol"])
    if "endpoints" in r:
        e = r["endpoints"]
        lines += [
            f"### Endpoints (median of {e['requests_per_endpoint']} keep-alive requests; /mine: {e['mines']})",
            "",
            "| endpoint | paper (ms) | paper's code here (ms) | ours median (ms) | ours p95 (ms) | HTTP floor (ms) "
            "| x floor | x faster than paper |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in e["table"]:
            lines.append(
                f"| {row['endpoint']} | {row['paper_ms']} | {row['paper_code_here_ms']} | {row['ours_median_ms']} | "
                f"{row['ours_p95_ms']} | {row['floor_median_ms']} | {row['x_floor']} | {row['x_faster_than_paper']} |"
            )
        lines.append("")
    if "mining" in r:
        m = r["mining"]
        lines += [
            "### Hash rate",
            "",
            f"- one core: {m['one_core_hashes_per_s_0_pending']:,} hashes/s with 0 pending, "
            f"{m['one_core_hashes_per_s_1000_pending']:,} with 1000 pending (ratio {m['ratio_1000_vs_0']})",
            f"- {m['blocks']} blocks at difficulty {m['difficulty']}: one core {m['one_core_rate_on_blocks']:,}/s, "
            f"{m['workers']} worker processes {m['workers_rate_on_blocks']:,}/s (x{m['speedup']})",
            "",
        ]
    if "while_mining" in r:
        lines += [
            "### /flower/predict while blocks are mined back to back (difficulty 6)",
            "",
            "| mining in | clients | requests | median (ms) | p99 (ms) | blocks mined |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for w in r["while_mining"]:
            where = f"{w['miners']} worker processes" if w["miners"] else "a thread of the node"
            lines.append(
                f"| {where} | {w['clients']} | {w['n']} | {w['median_ms']} | {w['p99_ms']} | {w['blocks_mined']} |"
            )
        lines.append("")
    if "model_size" in r:
        rows = r["model_size"]
        xs = [x["rows"] for x in rows]
        lines += ["### Model cost vs training rows", ""]
        if len(xs) >= MIN_POINTS:
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.plot(xs, [x["predict"]["median_ms"] for x in rows], "o-", label="predict (in process)")
            ax.plot(xs, [x["evaluate_uncached"]["median_ms"] for x in rows], "s-", label="evaluate, computed")
            # evaluate from the cache takes well under 1 us: 0.0 ms in the table, nothing to draw on a log axis
            ax.plot(xs, [x["fit_ms"] for x in rows], "d--", label="build the model from its rows")
            ax.set(
                xscale="log",
                yscale="log",
                xlabel="training rows",
                ylabel="ms (median)",
                title="Model cost vs training set",
            )
            ax.legend()
            name = _save(fig, out, "model_size.png")
            lines += [f"![model cost]({name})", ""]
        else:
            lines += _too_few(xs, "model_size.png")
        hp = r.get("http_predict")
        lines += [
            "| rows | build (ms) | predict median (ms) | evaluate computed (ms) | evaluate cached (ms) |",
            "|---:|---:|---:|---:|---:|",
        ]
        for x in rows:
            lines.append(
                f"| {x['rows']:,} | {x['fit_ms']} | {x['predict']['median_ms']} | "
                f"{x['evaluate_uncached']['median_ms']} | {x['evaluate_cached']['median_ms']} |"
            )
        if hp:
            lines += [
                "",
                f"HTTP `/flower/predict` on a node with {hp['rows']:,} training rows: median "
                f"{hp['median_ms']} ms, p95 {hp['p95_ms']} ms.",
            ]
        lines.append("")
    if "block_apply" in r:
        rows = r["block_apply"]
        lines += _one_curve(
            out,
            "block_apply.png",
            "Applying a peer's block",
            f"Validate and apply a peer's block ({rows[0]['rows_before']:,} rows)",
            "FLOWER_DATA in the block",
            "FLOWER_DATA",
            [x["flower_data"] for x in rows],
            [x["median_ms"] for x in rows],
        )
    if "mine_vs_pending" in r:
        rows = r["mine_vs_pending"]
        pending = [x["pending"] for x in rows]
        lines += _one_curve(
            out,
            "mine_vs_pending.png",
            "/mine vs pending transactions (difficulty 4)",
            "/mine vs pending, difficulty 4",
            "pending FLOWER_DATA (0 shown at 1)",
            "pending",
            pending,
            [x["median_ms"] for x in rows],
            plotted_xs=[max(p, 1) for p in pending],
            rows=rows,
        )
        lines += pending_finding(rows)
    if "chain_length" in r:
        rows = r["chain_length"]
        xs = [x["blocks"] for x in rows]
        heading = ["### Cost vs chain length (one FLOWER_DATA per block)", ""]
        if len(xs) >= MIN_POINTS:
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.plot(xs, [x["chain"]["median_ms"] / 1000 for x in rows], "o-", label="GET /chain")
            ax.plot(xs, [x["validate_s"] for x in rows], "s-", label="GET /chain/validate (full replay)")
            ax.plot(xs, [x["fresh_node_sync_s"] for x in rows], "^-", label="fresh node: sync and validate")
            ax.plot(xs, [x["start_full_replay_s"] for x in rows], "d--", label="start, full replay")
            ax.plot(xs, [x["restart_snapshot_s"] for x in rows], "v-", label="restart from snapshot")
            ax.set(
                xscale="log",
                yscale="log",
                xlabel="blocks (one FLOWER_DATA each)",
                ylabel="seconds",
                title="Cost vs chain length",
            )
            ax.legend(fontsize=8)
            name = _save(fig, out, "chain_length.png")
            heading += [f"![chain length]({name})", ""]
        else:
            heading += _too_few(xs, "chain_length.png")
        lines += heading + [
            "| blocks | GET /chain median (ms) | validate (s) | fresh node sync (s) | start, full replay (s) "
            "| restart from snapshot (s) |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for x in rows:
            lines.append(
                f"| {x['blocks']:,} | {x['chain']['median_ms']} | {x['validate_s']} | {x['fresh_node_sync_s']} | "
                f"{x['start_full_replay_s']} | {x['restart_snapshot_s']} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"
