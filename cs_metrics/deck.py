"""A one-click QBR deck for one account, as PowerPoint (python-pptx).

Six slides in the UI's language: title; headline figures (with the revenue trend);
goals and attainment; usage and the North Star; health; next steps. Charts are the same
Altair specs the page shows, rendered to PNG by vl-convert (CJK text needs a CJK font on
the server, e.g. Noto Sans CJK). With ``hide_money`` no amount appears anywhere: ARR
gives way to the MRR index and the revenue chart is indexed to 100.
"""

from __future__ import annotations

import io
from typing import Any

import altair as alt
import pandas as pd

from cs_metrics import formatting
from cs_metrics.account import AccountView, mrr_change
from cs_metrics.charts import account as charts
from cs_metrics.i18n import t
from cs_metrics.northstar import measure_label

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
DARK, ACCENT, MUTED = (0x1B, 0x23, 0x30), (0x1F, 0x6F, 0xEB), (0x57, 0x60, 0x6A)
LATIN_FONT = "Calibri"
EA_FONT = "Microsoft YaHei"  # the CJK face PowerPoint users most often have; others substitute
MAX_GOAL_ROWS = 8


def render_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG via vl-convert, from the same spec the screen shows."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def _font(run: Any, size: float, bold: bool = False, color: tuple[int, int, int] = DARK) -> None:
    from lxml import etree
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor(*color)
    run.font.name = LATIN_FONT
    rpr = run._r.get_or_add_rPr()
    if rpr.find(qn("a:ea")) is None:
        latin = rpr.find(qn("a:latin"))
        ea = etree.SubElement(rpr, qn("a:ea"))
        ea.set("typeface", EA_FONT)
        if latin is not None:
            latin.addnext(ea)


def _text(slide: Any, left: float, top: float, width: float, height: float, lines: list[tuple[str, float, bool, tuple]],
          wrap: bool = True) -> None:
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = wrap
    for i, (text, size, bold, color) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = text
        _font(run, size, bold, color)


def _title(slide: Any, text: str, lang: str, subtitle: str | None = None) -> None:
    lines = [(text, 30, True, DARK)]
    if subtitle:
        lines.append((subtitle, 14, False, MUTED))
    _text(slide, 0.6, 0.35, SLIDE_W_IN - 1.2, 1.1, lines)


def _picture(slide: Any, png: bytes, left: float, top: float, width: float, max_height: float) -> None:
    from pptx.util import Inches

    picture = slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), width=Inches(width))
    if picture.height > Inches(max_height):
        ratio = Inches(max_height) / picture.height
        picture.height = Inches(max_height)
        picture.width = int(picture.width * ratio)


def _table(slide: Any, header: list[str], rows: list[list[str]], left: float, top: float,
           width: float, col_widths: list[float]) -> None:
    from pptx.util import Inches

    shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(left), Inches(top),
                                   Inches(width), Inches(0.4 * (len(rows) + 1)))
    table = shape.table
    for c, w in enumerate(col_widths):
        table.columns[c].width = Inches(w)
    for c, text in enumerate(header):
        cell = table.cell(0, c)
        cell.text = ""
        run = cell.text_frame.paragraphs[0].add_run()
        run.text = text
        _font(run, 12, True, (0xFF, 0xFF, 0xFF))
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.text = ""
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = text
            _font(run, 12)


def headline_figures(view: AccountView, lang: str, currency: str, hide_money: bool,
                     metric_label: str | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline slide, formatted; amounts left out if hidden."""
    h = view.header
    na = t("common.na", lang)
    figures: list[tuple[str, str]] = []
    if hide_money:
        index = view.mrr["index"].iloc[-1] if len(view.mrr) and view.mrr["index"].notna().any() else None
        figures.append((t("account.mrr_index", lang), formatting.number(index, lang)))
    else:
        figures.append((t("account.arr", lang), formatting.money(h.get("arr"), currency, lang, short=True)))
    figures.append((t("account.mrr_change", lang), formatting.pct(mrr_change(view.mrr), lang, signed=True)))
    tenure = h.get("tenure_months")
    figures.append((t("account.tenure", lang),
                    t("account.tenure_value", lang, n=tenure) if tenure is not None else na))
    renewal = h.get("renewal_date")
    days = h.get("days_to_renewal")
    when = ""
    if days is not None:
        when = " (" + (t("account.renewal_in", lang, days=days) if days >= 0
                       else t("account.renewal_ago", lang, days=-days)) + ")"
    figures.append((t("account.renewal", lang), f"{renewal}{when}" if renewal else na))
    health = view.health or {}
    band = health.get("band")
    score = formatting.number(health.get("score"), lang)
    figures.append((t("account.health", lang), f"{score} · {t(f'band.{band}', lang)}" if band else score))
    nps = view.nps or {}
    figures.append((t("account.nps", lang), formatting.number(nps.get("nps_12m"), lang)))
    tickets = view.tickets or {}
    figures.append((t("account.csat", lang), formatting.number(tickets.get("csat_12m"), lang, decimals=2)))
    ns = view.northstar
    if ns and ns.get("latest") is not None:
        yardstick = ns["target"] if ns["target"] is not None else ns.get("peer_median")
        ratio = ns["latest"] / yardstick if yardstick else None
        figures.append((metric_label or measure_label(ns["config"].metric, lang),
                        f"{formatting.number(ns['latest'], lang)} · {formatting.pct(ratio, lang, decimals=0)}"))
    return figures


def build_deck(view: AccountView, lang: str = "en", currency: str = "USD", hide_money: bool = False,
               metric_label: str | None = None, counter_label: str | None = None) -> bytes:
    """The QBR deck of ``view`` as .pptx bytes.

    ``metric_label`` / ``counter_label`` are the display names of the North Star and its
    counter (default: :func:`cs_metrics.northstar.measure_label`).
    """
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    blank = prs.slide_layouts[6]
    h = view.header
    name = h.get("account_name") or h["account_id"]
    na = t("common.na", lang)

    slide = prs.slides.add_slide(blank)
    _text(slide, 0.9, 2.2, SLIDE_W_IN - 1.8, 3.0, [
        (t("deck.title", lang), 20, False, ACCENT),
        (str(name), 40, True, DARK),
        (t("deck.subtitle", lang, name=h["account_id"], as_of=str(h.get("as_of"))), 16, False, MUTED),
        (t("deck.prepared", lang, owner=h.get("owner") or na, segment=h.get("segment") or na), 16, False, MUTED),
    ])

    slide = prs.slides.add_slide(blank)
    _title(slide, t("deck.headline", lang), lang, str(name))
    for i, (label, value) in enumerate(headline_figures(view, lang, currency, hide_money, metric_label)):
        col, row = i % 2, i // 2
        _text(slide, 0.6 + 3.0 * col, 1.6 + 1.25 * row, 2.9, 1.2,
              [(label, 12, False, MUTED), (value, 22, True, DARK)])
    if len(view.mrr):
        chart = charts.mrr_chart(view.mrr, lang, indexed=hide_money, currency=currency)
        _text(slide, 6.8, 1.5, 6.0, 0.5, [(t("deck.revenue", lang), 14, True, DARK)])
        _picture(slide, render_png(chart.properties(width=560)), 6.8, 2.0, 6.0, 4.8)

    slide = prs.slides.add_slide(blank)
    _title(slide, t("deck.goals", lang), lang, str(name))
    goals = view.goals
    if goals.empty:
        _text(slide, 0.6, 1.8, 12, 1, [(t("deck.no_goals", lang), 16, False, MUTED)])
    else:
        rows = []
        for g in goals.head(MAX_GOAL_ROWS).itertuples():
            rows.append([
                str(g.goal),
                " → ".join(formatting.number(v, lang, 1) for v in (g.baseline, g.current, g.target)),
                formatting.pct(g.attainment, lang, decimals=0),
                formatting.pct(g.elapsed_share, lang, decimals=0),
                str(g.due_date)[:10] if not pd.isna(g.due_date) else na,
                t(f"account.state.{g.state}", lang),
            ])
        header = [t("col.goal", lang), t("deck.progress", lang), t("account.attainment", lang),
                  t("account.elapsed", lang), t("col.due_date", lang), t("col.status", lang)]
        _table(slide, header, rows, 0.6, 1.6, 12.1, [3.6, 2.8, 1.3, 1.3, 1.5, 1.6])
        if len(goals) > MAX_GOAL_ROWS:
            _text(slide, 0.6, 1.8 + 0.4 * (MAX_GOAL_ROWS + 1), 12, 0.5,
                  [(t("deck.more_goals", lang, n=len(goals) - MAX_GOAL_ROWS), 12, False, MUTED)])

    slide = prs.slides.add_slide(blank)
    _title(slide, t("deck.northstar", lang), lang, str(name))
    ns = view.northstar
    if ns and not ns["history"].empty:
        config = ns["config"]
        label = metric_label or measure_label(config.metric, lang)
        history = ns["history"].tail(24)
        chart = charts.northstar_chart(history, lang, label, has_goal_target=ns["target"] is not None)
        _picture(slide, render_png(chart.properties(width=900)), 0.6, 1.5, 9.2, 4.9)
        target = ns["target"] if ns["target"] is not None else ns.get("peer_median")
        status = (t("account.ns_reaching", lang) if ns["reaching"] else t("account.ns_not_reaching", lang)) \
            if ns["reaching"] is not None else na
        lines = [(t("deck.ns_summary", lang, metric=label, value=formatting.number(ns["latest"], lang, 1),
                    month=str(ns["latest_month"])[:7], target=formatting.number(target, lang, 1),
                    source=t(f"deck.ns_source.{ns['target_source']}", lang), status=status), 14, False, DARK)]
        if config.counter and history["counter"].notna().any():
            lines.append((t("deck.counter_summary", lang, metric=counter_label or measure_label(config.counter, lang),
                            value=formatting.number(history["counter"].dropna().iloc[-1], lang, 1)),
                          14, False, MUTED))
        _text(slide, 10.0, 1.8, 3.0, 4.5, lines)
    else:
        _text(slide, 0.6, 1.8, 12, 1, [(t("deck.no_northstar", lang), 16, False, MUTED)])

    slide = prs.slides.add_slide(blank)
    _title(slide, t("deck.health", lang), lang, str(name))
    health = view.health
    if health and health.get("history") is not None and not health["history"].empty:
        _picture(slide, render_png(charts.health_chart(health["history"].tail(24), lang).properties(width=900)),
                 0.6, 1.5, 9.2, 4.9)
        band = health.get("band")
        _text(slide, 10.0, 1.8, 3.0, 4.5, [(t("deck.health_summary", lang,
              score=formatting.number(health.get("score"), lang),
              band=t(f"band.{band}", lang) if band else na,
              trend=formatting.number(health.get("trend"), lang, 1)), 14, False, DARK)])
    else:
        _text(slide, 0.6, 1.8, 12, 1, [(t("deck.no_health", lang), 16, False, MUTED)])

    slide = prs.slides.add_slide(blank)
    _title(slide, t("deck.next", lang), lang, str(name))
    steps = [t(key, lang, **values) for key, values in view.next_steps] or [t("account.steps_none", lang)]
    _text(slide, 0.8, 1.7, SLIDE_W_IN - 1.6, 5.5, [(f"•  {s}", 18, False, DARK) for s in steps[:9]])

    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
