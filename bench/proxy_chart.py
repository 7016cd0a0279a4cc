"""The README's proxy chart: bench/results.json's proxy figures as an SVG (no dependencies).

Each panel holds bars for the direct connection and the proxy, with the measured range as a
whisker and the target as a dashed line. run.py writes it after a full `make bench`; by hand:
python bench/proxy_chart.py [bench/results.json] [docs/proxy-bench.svg]
"""

from __future__ import annotations

import json
import os
import sys
from html import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, LABEL_W, BAR_W = 860, 190, 440
BAR_H, GAP, TITLE_H, PANEL_GAP = 20, 6, 26, 18
COLORS = {"direct": "#8a8f98", "proxy": "#2f6db5"}

# A bar: (label, side, results key of the value, key of its low end, key of its high end).
Bar = tuple[str, str, str, str, str]


def _bars(kind: str, name: str) -> list[Bar]:
    return [
        (label, side, f"{side}_{name}", f"{side}_{name}_min", f"{side}_{name}_max")
        for label, side in ((f"direct ({kind})", "direct"), ("through the proxy", "proxy"))
    ]


def panels(res: dict[str, float]) -> list[dict]:
    """The panels, with their targets (absolute values derived from the direct medians)."""
    n = int(res.get("proxy_sessions", 0))
    return [
        {
            "title": "Queries per second — pgbench -S, 8 clients, side by side (higher is better)",
            "bars": _bars("verify-full TLS", "select_tps"),
            "unit": "/s",
            "target": (0.9 * res["direct_select_tps"], "0.9× direct"),
        },
        {
            "title": "The same as deployed: PostgreSQL on a core of its own, as on its own machine",
            "bars": _bars("verify-full TLS", "select_own_core_tps"),
            "unit": "/s",
            "target": (0.9 * res.get("direct_select_own_core_tps", 0.0), "0.9× direct"),
        },
        {
            "title": "Queries per CPU second: pgbench + PostgreSQL + proxy (higher is better)",
            "bars": _bars("verify-full TLS", "select_per_cpu_s"),
            "unit": "/s",
            "target": None,
        },
        {
            "title": "New connections per second — pgbench -C -S, a login each (higher is better)",
            "bars": _bars("verify-full TLS", "connect_per_s"),
            "unit": "/s",
            "target": (0.8 * res["direct_connect_per_s"], "0.8× direct"),
        },
        *(
            {
                "title": f"SELECT 1 round trip on one connection, {p} (lower is better)",
                "bars": _bars("verify-full TLS", f"latency_{p}_us"),
                "unit": "µs",
                "target": None,
            }
            for p in ("p50", "p99")
        ),
        {
            "title": "The proxy's resident memory (VmRSS; lower is better)",
            "bars": [
                ("idle", "proxy", "proxy_rss_idle_mb", "", ""),
                (f"{n} idle sessions", "proxy", "proxy_rss_sessions_mb", "", ""),
            ],
            "unit": "MB",
            "target": (100.0, "target 100 MB"),
        },
    ]


def fmt(v: float, unit: str) -> str:
    if unit == "/s":
        return f"{v:,.0f}{unit}"
    return f"{v:.0f} {unit}" if v >= 10 else f"{v:.1f} {unit}"


def svg(res: dict[str, float]) -> str:
    out: list[str] = []
    y = 12
    for panel in panels(res):
        bars = [b for b in panel["bars"] if b[2] in res]
        if not bars:
            continue
        # The scale fits the medians, the target and the whiskers up to twice the largest
        # median; a whisker past that (one disturbed run) is cut and its end written out.
        largest = max(res[b[2]] for b in bars)
        top = max(min(res.get(b[4], 0.0), 2 * largest) for b in bars)
        top = max(top, largest, panel["target"][0] if panel["target"] else 0.0)
        scale = BAR_W / (top * 1.12)
        out.append(f'<text x="8" y="{y + 16}" font-weight="bold">{escape(panel["title"])}</text>')
        y += TITLE_H
        y0 = y
        for label, side, key, lo, hi in bars:
            v = res[key]
            w = max(1.0, v * scale)
            out.append(
                f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            )
            out.append(
                f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H}" '
                f'fill="{COLORS[side]}"/>'
            )
            end = LABEL_W + w
            cut = None
            if lo in res and hi in res:
                high = res[hi]
                if high > top * 1.12:
                    cut, high = high, top
                a, b = LABEL_W + res[lo] * scale, LABEL_W + high * scale
                mid = y + BAR_H / 2
                cap = f"M{b - 5:.1f} {mid - 5}l5 5l-5 5" if cut else f"M{b:.1f} {mid - 5}v10"
                out.append(
                    f'<path d="M{a:.1f} {mid}H{b:.1f}M{a:.1f} {mid - 5}v10{cap}" '
                    'stroke="#222" stroke-width="1.2" fill="none"/>'
                )
                end = max(end, b)
            text = fmt(v, panel["unit"])
            ratio = key.replace("direct_", "proxy_", 1) + "_ratio"
            if side == "proxy" and ratio in res:
                text += f" ({res[ratio]:.2f}× direct)"
            if cut:
                text += f", one run {fmt(cut, panel['unit'])}"
            out.append(f'<text x="{end + 8:.1f}" y="{y + 15}">{escape(text)}</text>')
            y += BAR_H + GAP
        if panel["target"]:
            value, label = panel["target"]
            x = LABEL_W + value * scale
            out.append(
                f'<path d="M{x:.1f} {y0 - 4}V{y - GAP + 4}" stroke="#c0392b" '
                'stroke-width="1.5" stroke-dasharray="5 3"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + 10}" fill="#c0392b" font-size="11" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
            y += 12
        y += PANEL_GAP
    notes = (
        "Medians of alternating direct / proxy runs on one 2-core machine that pgbench, "
        "PostgreSQL and the proxy share; whiskers: the",
        "lowest and highest run. Direct: libpq with an IAM token as the password over verify-full "
        "TLS. Proxy: libpq with no password",
        "and no TLS to rds-iam proxy on loopback, which logs in over verify-full TLS. iamdb's PAM "
        "validator checks each login on both.",
        "Per CPU second: transactions over the CPU time that pgbench, PostgreSQL (backends, PAM) "
        "and the proxy spent on them.",
    )
    legend = "\n".join(
        f'<text x="8" y="{y + 8 + 15 * i}" font-size="11" fill="#555">{escape(t)}</text>'
        for i, t in enumerate(notes)
    )
    height = y + 15 * len(notes) + 10
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="13" fill="#222">'
    )
    background = f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>'
    return "\n".join([head, background, *out, legend, "</svg>", ""])


def write(res: dict[str, float], path: str) -> None:
    with open(path, "w") as f:
        f.write(svg(res))


def main() -> int:
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench", "results.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs", "proxy-bench.svg")
    with open(src) as f:
        write(json.load(f), dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
