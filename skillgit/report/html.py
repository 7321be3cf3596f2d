"""The report as one self-contained HTML page: plotly.js inlined once, no network at view time.

Every text that comes from the repository (skill fields, commit messages, trailers, author names,
paths) is escaped with `html.escape` before it reaches the page, in tables and in chart labels alike
(plotly reads a few HTML tags in labels; escaped, they show as text). The chart data are embedded by
plotly as JSON with `<` written `\\u003c`, so no text can close the script element.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeGuard

from skillgit.errors import UsageError
from skillgit.report.data import figure_parts, pair

if TYPE_CHECKING:
    from skillgit.jsontypes import JSON, JSONObject
    from skillgit.report.data import Chart, DecisionData, EventData, GradeData, ReportData, SkillData, VerifyData, VersionData

INSTALL_HINT = "pip install 'skillgit[report]'"
GENERATOR = '<meta name="generator" content="skillgit report">'
"""Marks a page as a report, so the default output file may be replaced by the next one."""
EVENT_SYMBOLS = {
    "create": "star", "refine": "triangle-up", "manual": "diamond", "rollback": "triangle-down",
    "retire": "x", "revive": "circle-open", "refused": "x-thin-open", "no-op": "line-ew-open",
    "meta-suggestion": "hash-open", "init": "square",
}
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage"]}
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5em 3em; color: #1d2330; background: #fff; }
h1 { margin-top: 1em; } h2 { border-bottom: 1px solid #d8dee9; padding-bottom: .2em; margin-top: 2em; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border-bottom: 1px solid #e5e9f0; padding: .3em .5em; text-align: left; vertical-align: top; }
td:last-child, pre { overflow-wrap: anywhere; } td code { white-space: nowrap; }
th { background: #f4f6fa; font-weight: 600; }
tr:target { background: #fff7d6; }
.badge { display: inline-block; padding: .05em .5em; border-radius: .8em; font-size: 12px; background: #e5e9f0; }
.ok, .hit, .accepted { background: #d7f2dd; } .fail, .miss, .rejected { background: #f9d6d5; }
.pending { background: #fdf0c8; } .unmeasured { background: #e5e9f0; }
.skill { border: 1px solid #e5e9f0; border-radius: 6px; padding: 0 1em 1em; margin: 1.5em 0; }
.chart { height: 340px; } .chart.small { height: 260px; }
pre { white-space: pre-wrap; background: #f8f9fb; padding: .5em; border-radius: 4px; margin: .3em 0; }
.muted { color: #5c6474; }
nav a { margin-right: .8em; }
"""


class PlotlyIO(Protocol):
    """What the page uses of `plotly.io`."""

    def to_html(self, fig: JSONObject, *, include_plotlyjs: bool, full_html: bool, config: Mapping[str, object],
                div_id: str, default_height: str, default_width: str, validate: bool) -> str: ...


class PlotlyOffline(Protocol):
    """What the page uses of `plotly.offline`."""

    def get_plotlyjs(self) -> str: ...


def plotly_modules() -> tuple[PlotlyIO, PlotlyOffline]:
    """(plotly.io, plotly.offline), or a UsageError (exit 2) saying how to install them."""
    try:
        import plotly.io as pio
        import plotly.offline as offline
    except ImportError as exc:
        raise UsageError(f"the HTML report draws its charts with plotly, which is not installed ({exc.name} is missing); "
                         f"run `{INSTALL_HINT}`, or use `skillgit report --format markdown`.") from None
    modules: tuple[PlotlyIO, PlotlyOffline] = (pio, offline)
    return modules


def e(value: object) -> str:
    """Repository text made safe for HTML (element content and quoted attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def render(data: ReportData) -> str:
    """The whole page."""
    pio, offline = plotly_modules()
    skills = data["skills"]
    page = _Page(pio, _span(skills, data["events"]))
    linked = {x["commit"] for x in data["events"]}  # commits with a row in the events table, to link to
    verify = data["verify"]
    body = [
        f"<h1>skillgit report <span class=\"muted mono\">{e(data['range']['spec'])}</span></h1>",
        f"<p>{e(data['summary'])}</p>",
        f"<p class=\"muted\">HEAD <code>{e(data['head'][:12])}</code>"
        + (f" on <code>{e(data['branch'])}</code>" if data["branch"] else "")
        + f" · {data['evidence']['sessions']} session(s), {data['evidence']['learnings']} learning(s) ingested</p>",
        "<nav><a href=\"#verify\">verify</a><a href=\"#inventory\">inventory</a><a href=\"#skills\">skills</a>"
        "<a href=\"#decisions\">gate decisions</a><a href=\"#predictions\">predictions</a><a href=\"#events\">events</a></nav>",
        _verify(verify, linked),
        _inventory(data),
        "<h2 id=\"skills\">Skills</h2>",
        *(_skill(page, s, linked) for s in skills),
        _decisions(page, skills),
        _predictions(page, data["predictions"]),
        _events(data["events"]),
    ]
    title = f"skillgit report {data['range']['spec']}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" + GENERATOR +
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:\">"
        f"<title>{e(title)}</title><style>{STYLE}</style>"
        f"<script>{offline.get_plotlyjs()}</script></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


class _Page:
    """Charts of one page, each with its own stable id (the same repository gives the same page).

    Figures are plain plotly JSON (data and layout), written without plotly.py's figure objects: their
    validation and templates cost a tenth of a second per chart, minutes for a thousand skills."""

    def __init__(self, pio: PlotlyIO, span: tuple[str, str] | None) -> None:
        self.pio = pio
        self.span = span
        """The time axis every skill's timeline shares: first version to last event."""
        self.count = 0

    def chart(self, data: list[JSONObject], layout: JSONObject, css: str = "chart") -> str:
        self.count += 1
        grid: JSONObject = {"gridcolor": "#e5e9f0", "zerolinecolor": "#d8dee9", "automargin": True}
        layout = {"margin": {"l": 50, "r": 20, "t": 40, "b": 40}, "paper_bgcolor": "#fff", "plot_bgcolor": "#fff",
                  "legend": {"orientation": "h", "y": -0.2}, "hovermode": "closest", **layout,
                  "xaxis": {**grid, **_object(layout.get("xaxis"))}, "yaxis": {**grid, **_object(layout.get("yaxis"))}}
        traces: list[JSON] = list(data)
        div = self.pio.to_html({"data": traces, "layout": layout}, include_plotlyjs=False, full_html=False, config=CONFIG,
                               div_id=f"chart-{self.count}", default_height="100%", default_width="100%", validate=False)
        return f"<div class=\"{css}\">{div}</div>"


def _verify(verify: VerifyData | None, linked: set[str]) -> str:
    if verify is None:
        return "<h2 id=\"verify\">Verify</h2><p class=\"muted\">not run (--no-verify)</p>"
    if verify.get("error"):
        return (f"<h2 id=\"verify\">Verify</h2><p><span class=\"badge fail\" data-verify=\"error\">error</span> "
                f"{e(verify['error'])}</p>")
    state = "ok" if verify["ok"] else "fail"
    head = (f"<h2 id=\"verify\">Verify</h2><p><span class=\"badge {state}\" data-verify=\"{state}\">"
            f"{'no violations' if verify['ok'] else str(len(verify['violations'])) + ' violation(s)'}</span> "
            f"{verify['commits']} commit(s) in <code>{e(verify['range'])}</code>, {verify['checked']} checked "
            f"(config {e(verify['config'])})</p>")
    rows = [[_commit(v.get("commit"), anchor=v.get("commit") in linked), e(f"{v.get('rule')} {v.get('name')}"), e(v.get("path")), e(v.get("message")),
             e(v.get("fix"))] for v in verify["violations"]]
    warnings = "".join(f"<p class=\"muted\">warning: {e(w)}</p>" for w in verify.get("warnings", []))
    return head + (_table(["commit", "rule", "file", "problem", "fix"], rows, "violation") if rows else "") + warnings


def _inventory(data: ReportData) -> str:
    inv = data["inventory"]
    rows = []
    for s in data["skills"]:
        flags = " ".join(x for x in ("core" if s["core"] else "", "candidate" if s["name"] in inv["candidate"] else "") if x)
        rows.append([f"<a href=\"#skill-{e(s['name'])}\">{e(s['name'])}</a>", e(s["location"]), e(s["status"] or "-"),
                     e(s["origin"] or "?"), e(flags), str(len(s["versions"])), f"<code>{e(s['blob'][:7])}</code>",
                     e(s["problem"] or "")])
    counts = (f"<p>{len(inv['active'])} active · {len(inv['attic'])} in the attic · {len(inv['candidate'])} candidate(s) "
              f"(<code>status: candidate</code>) · {len(inv['proposals'])} proposal branch(es)</p>")
    table = _table(["skill", "where", "status", "origin", "flags", "versions", "SKILL.md", "problem"], rows, "inventory")
    proposals = ""
    if inv["proposals"]:
        proposals = "<h3>Proposal branches (candidates awaiting review)</h3>" + _table(
            ["branch", "commit", "time"],
            [[f"<code>{e(p['branch'])}</code>", f"<code>{e(p['commit'][:12])}</code>", e(p["time"])] for p in inv["proposals"]],
            "proposal")
    return "<h2 id=\"inventory\">Inventory</h2>" + counts + table + proposals


def _skill(page: _Page, s: SkillData, linked: set[str]) -> str:
    name = s["name"]
    versions, events = s["versions"], s["events"]
    parts = [f"<section class=\"skill\" id=\"skill-{e(name)}\" data-skill=\"{e(name)}\" data-versions=\"{len(versions)}\" "
             f"data-events=\"{len(events)}\"><h3>{e(name)} <span class=\"muted\">{e(s['location'])} · "
             f"{len(versions)} version(s) · {len(events)} event(s)</span></h3>"]
    if versions:
        parts.append(page.chart(*_timeline(page, name, versions, events)))
    rows = []
    for v in versions:
        m: Mapping[str, JSON] = v["metrics"] or {}
        label = e(v["version"]) + ("" if v["in_range"] else " <span class=\"muted\">(at the range's base)</span>")
        rows.append([label, _commit(v["commit"], anchor=v["commit"] in linked), e(v["time"][:16].replace("T", " ")), e(v["event"]),
                     e(v["location"]), e(m.get("status", "no evidence")), _num(m.get("uses")), _rate(m.get("win_rate")),
                     _rate(m.get("failure_rate")), _num(m.get("complaints")), e(v["eval_summary"] or "")])
    parts.append(_table(["version", "commit", "time", "event", "where", "evidence", "uses", "win rate", "failure rate",
                         "complaints", "eval summary"], rows, "version"))
    parts.append(_table(["commit", "time", "event", "author", "trigger / reason / expected"],
                        [_event_row(x) for x in events], "event") if events else "<p class=\"muted\">no events</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _timeline(page: _Page, name: str, versions: Sequence[VersionData], events: Sequence[EventData]) -> Chart:
    """Win and failure rate per version from the time it was made until the next one (the last: to the end
    of the axis); the events about the skill as markers above, by kind, with their commit ids."""
    end = page.span[1] if page.span else versions[-1]["time"]
    times: list[JSON] = [*(v["time"] for v in versions), end]
    labels = [f"{e(v['version'])} {e(v['event'])} {e(v['commit'][:12])}" for v in versions]
    labels.append(labels[-1])
    data: list[JSONObject] = []
    for key, label, color in (("win_rate", "win rate", "#2e7d32"), ("failure_rate", "failure rate", "#c62828")):
        values: list[JSON] = [(v["metrics"] or {}).get(key) if (v["metrics"] or {}).get("status") == "measured" else None
                              for v in versions]
        values.append(values[-1])
        data.append({"type": "scatter", "x": times, "y": values, "name": label, "mode": "lines+markers",
                     "line": {"shape": "hv", "color": color}, "text": list(labels), "connectgaps": False,
                     "hovertemplate": "%{text}<br>" + label + " %{y:.2f}<extra></extra>"})
    kinds: dict[str, list[EventData]] = {}
    for x in events:
        kinds.setdefault(x["event"] or "commit", []).append(x)
    for kind, group in sorted(kinds.items()):
        data.append({"type": "scatter", "x": [x["time"] for x in group], "y": [1.1] * len(group), "mode": "markers",
                     "name": e(kind), "marker": {"symbol": EVENT_SYMBOLS.get(kind, "circle"), "size": 12},
                     "text": [f"{e(kind)} {e(x['commit'][:12])}<br>{e(x['title'])}" for x in group],
                     "hovertemplate": "%{text}<extra></extra>"})
    axis: JSONObject = {"type": "date"}
    if page.span:
        axis["range"] = list(page.span)
    layout: JSONObject = {"title": {"text": f"{e(name)}: versions and events", "font": {"size": 14}},
              "yaxis": {"range": [-0.05, 1.2], "title": {"text": "rate"}}, "xaxis": axis}
    return data, layout


def _span(skills: Sequence[SkillData], events: Sequence[EventData]) -> tuple[str, str] | None:
    """From the earliest version to the latest version or event, padded by a twentieth (an hour at least)."""
    stamps = [datetime.fromisoformat(v["time"]) for s in skills for v in s.get("versions", [])]
    stamps += [datetime.fromisoformat(x["time"]) for x in events]
    if not stamps:
        return None
    low, high = min(stamps), max(stamps)
    pad = max((high - low) / 20, timedelta(hours=1))
    return (low - pad).isoformat(), (high + pad).isoformat()


def _decisions(page: _Page, skills: Sequence[SkillData]) -> str:
    found = [(s["name"], d) for s in skills for d in s["decisions"]]
    parts = ["<h2 id=\"decisions\">Gate decisions</h2>"]
    if not found:
        return parts[0] + "<p class=\"muted\">no gate decisions in this range</p>"
    holdout = [(name, d, h) for name, d in found if isinstance(h := (d["figures"] or {}).get("holdout"), dict) and h]
    if holdout:
        parts.append(page.chart(*_holdout_chart(holdout), css="chart small"))
    for name, d in found:
        state = e(d["decision"])
        parts.append(
            f"<div class=\"decision\" data-commit=\"{e(d['commit'])}\"><h3><span class=\"badge {state}\">{state}</span> "
            f"{e(name)} · {e(d['event'])} {_commit(d['commit'])} <span class=\"muted\">{e(d['time'][:16].replace('T', ' '))}"
            f"</span></h3>"
            + (f"<p>trigger: {e(d['trigger'])}</p>" if d.get("trigger") else "")
            + (f"<p>reason: {e(d['reason'])}</p>" if d.get("reason") else "")
            + f"<p>summary: <code>{e(d['summary'] or '(none)')}</code></p>"
            + _figures(d.get("figures"))
            + _cases(d)
            + (f"<pre>{e(d['body'])}</pre>" if d.get("body") else "")
            + "</div>"
        )
    return "\n".join(parts)


def _cases(d: DecisionData) -> str:
    """The decision's per-case counts, champion → candidate."""
    from skillgit.report.markdown import case_tally

    if d.get("cases_error"):
        return f"<p class=\"muted\">per-case counts unreadable: {e(d['cases_error'])}</p>"
    if not d.get("cases"):
        return ""
    rows = []
    for c in d["cases"]:
        interval = c.get("candidate_interval")
        rows.append(
            f"<tr class=\"case\" data-part=\"{e(c['part'])}\"><td>{e(c['part'])}</td>"
            f"<td>{e(c['suite'] or '')}</td><td>{e(c['case'] or '(holdout case)')}</td>"
            f"<td class=\"num\">{e(case_tally(c['champion']))}</td><td class=\"num\">{e(case_tally(c['candidate']))}</td>"
            f"<td class=\"num\">{e(f'[{interval[0]:.2f}, {interval[1]:.2f}]') if interval else ''}</td></tr>")
    return ("<table class=\"cases\"><thead><tr><th>part</th><th>suite</th><th>case</th><th>champion</th>"
            "<th>candidate</th><th>candidate 95% interval</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _holdout_chart(rows: Sequence[tuple[str, DecisionData, JSONObject]]) -> Chart:
    """Champion and challenger holdout score per decision; the difference's interval where the gate gave one."""
    x: list[JSON] = [f"{e(name)} {e(d['commit'][:7])}" for name, d, _ in rows]
    challenger: JSONObject = {"type": "scatter", "x": x, "y": [h.get("challenger") for _, _, h in rows],
                                  "mode": "markers", "name": "challenger", "marker": {"size": 11, "color": "#1565c0"}}
    plus: list[JSON] = []
    minus: list[JSON] = []
    for _, _, h in rows:
        interval, delta = pair(h.get("interval")), h.get("delta")
        if interval is not None and _number(interval[0]) and _number(interval[1]) and _number(delta):
            plus.append(interval[1] - delta)
            minus.append(delta - interval[0])
        else:
            plus.append(None)
            minus.append(None)
    if any(v is not None for v in plus):
        challenger["error_y"] = {"type": "data", "array": plus, "arrayminus": minus, "visible": True}
    data: list[JSONObject] = [{"type": "scatter", "x": x, "y": [h.get("champion") for _, _, h in rows], "mode": "markers",
                               "name": "champion", "marker": {"size": 11, "color": "#5c6474"}}, challenger]
    layout: JSONObject = {"title": {"text": "holdout: champion vs challenger (bars: interval of the difference)", "font": {"size": 14}},
              "yaxis": {"title": {"text": "score"}}}
    return data, layout


def _figures(figures: JSONObject | None) -> str:
    if not figures:
        return ""
    rows = []
    for part, f, inner in figure_parts(figures):
        cells = {k: inner.get(k) for k in ("champion", "challenger", "delta", "n", "trials", "margin")}
        counts = " ".join(f"{k} {f[k]}" for k in ("state", "better", "worse", "tie") if f.get(k) is not None)
        interval = pair(inner.get("interval"))
        rows.append([e(part), e(counts), _num(cells["champion"]), _num(cells["challenger"]), _num(cells["delta"]),
                     e(f"[{interval[0]}, {interval[1]}]" if interval else ""), _num(cells["n"] or f.get("n")),
                     _num(cells["trials"] or f.get("trials")), _num(cells["margin"])])
    return _table(["part", "counts", "champion", "challenger", "difference", "interval", "cases", "runs per case", "margin"],
                  rows, "figures") if rows else ""


def _predictions(page: _Page, grades: Sequence[GradeData]) -> str:
    head = "<h2 id=\"predictions\">Predictions</h2>"
    if not grades:
        return head + "<p class=\"muted\">no Skill-Expected predictions in this range (or no sessions ingested)</p>"
    tally: dict[str, int] = {}
    for g in grades:
        tally[g["status"]] = tally.get(g["status"], 0) + 1
    order = [s for s in ("hit", "miss", "pending", "unmeasured") if s in tally]
    colors = {"hit": "#2e7d32", "miss": "#c62828", "pending": "#f9a825", "unmeasured": "#90a4ae"}
    data: list[JSONObject] = [{"type": "bar", "x": list(order), "y": [tally[s] for s in order],
                               "marker": {"color": [colors[s] for s in order]}}]
    layout: JSONObject = {"title": {"text": "predictions by outcome", "font": {"size": 14}}, "showlegend": False}
    rows = [[_commit(g["commit"]), e(g["skill"] or "-"), e(g["event"]), f"<span class=\"badge {e(g['status'])}\">{e(g['status'])}</span>",
             e("-" if g["value"] is None else g["value"]), str(g["sessions"]), e(g["prediction"]), e(g.get("reason") or "")]
            for g in grades]
    return head + page.chart(data, layout, "chart small") + _table(
        ["commit", "skill", "event", "outcome", "value", "sessions", "prediction", "note"], rows, "prediction")


def _events(events: Sequence[EventData]) -> str:
    rows = []
    for x in events:
        rows.append((f"c-{e(x['commit'])}", [_commit(x["commit"], anchor=False), e(x["time"][:16].replace("T", " ")),
                     e(x["event"]), e(x["skill"] or "-"), e(x["author"]), e(x["title"]),
                     "<br>".join(f"{e(k)}: {e(v)}" for k, v in x["trailers"].items())
                     + (f"<pre>{e(x['body'])}</pre>" if x.get("body") else "")]))
    header = "".join(f"<th>{h}</th>" for h in ("commit", "time", "event", "skill", "author", "title", "trailers"))
    body = "".join(f"<tr class=\"event-row\" id=\"{rid}\">" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
                   for rid, cells in rows)
    return (f"<h2 id=\"events\">Events <span class=\"muted\">({len(events)})</span></h2>"
            f"<table class=\"events\"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")


def _event_row(x: EventData) -> list[str]:
    t = x["trailers"]
    notes = [f"{k.removeprefix('Skill-').lower()}: {t[k]}" for k in ("Skill-Trigger", "Skill-Reason", "Skill-Expected",
                                                                         "Skill-Rollback-Of", "Skill-Eval-Summary") if k in t]
    return [_commit(x["commit"]), e(x["time"][:16].replace("T", " ")), e(x["event"]), e(x["author"]),
            "<br>".join(e(n) for n in notes)]


def _commit(commit: str | None, anchor: bool = True) -> str:
    if not commit:
        return ""
    short = e(commit[:12])
    if not anchor:
        return f"<code title=\"{e(commit)}\">{short}</code>"
    return f"<a class=\"commit\" href=\"#c-{e(commit)}\" title=\"{e(commit)}\"><code>{short}</code></a>"


def _table(headers: Iterable[str], rows: Iterable[Sequence[str]], kind: str) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(f"<tr class=\"{kind}-row\">" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class=\"{kind}\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rate(value: object) -> str:
    return f"{value:.2f}" if _number(value) else "-"


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _object(value: object) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _num(value: object) -> str:
    return "-" if value is None else e(value)
