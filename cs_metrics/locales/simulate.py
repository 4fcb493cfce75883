"""Messages of the leaky-bucket simulator (core errors, text report, page)."""

MESSAGES = {
    # errors raised by cs_metrics.simulate
    "simulate.err.not_number": ("{field} must be a number, got {value}.",
                                "{field} 必须是数字，收到的是 {value}。"),
    "simulate.err.arpa": ("ARPA must be above 0 (revenue per account per month), got {value:g}.",
                          "ARPA（每客户每月收入）必须大于 0，收到的是 {value:g}。"),
    "simulate.err.margin": ("Gross margin must be between 0% and 100%, got {value:g}%.",
                            "毛利率必须在 0% 到 100% 之间，收到的是 {value:g}%。"),
    "simulate.err.negative_cost_to_serve": ("Cost to serve cannot be negative, got {value:g}.",
                                            "服务成本不能为负，收到的是 {value:g}。"),
    "simulate.err.negative_cac": ("CAC cannot be negative, got {value:g}.",
                                  "获客成本（CAC）不能为负，收到的是 {value:g}。"),
    "simulate.err.negative_onboarding": ("Onboarding cost cannot be negative, got {value:g}.",
                                         "实施/上线成本不能为负，收到的是 {value:g}。"),
    "simulate.err.expansion": ("Monthly expansion must be at least 0% and below 100%, got {value:g}%.",
                               "月度扩展率必须不小于 0% 且低于 100%，收到的是 {value:g}%。"),
    "simulate.err.horizon": ("The horizon must be a whole number of months from 1 to {max}, got {value}.",
                             "测算期必须是 1 到 {max} 之间的整数月，收到的是 {value}。"),
    "simulate.err.basis": ("Churn basis must be 'annual' or 'monthly', got {value}.",
                           "流失率口径必须是“年”或“月”，收到的是 {value}。"),
    "simulate.err.churn_number": ("A churn rate must be a number, got {value}.",
                                  "流失率必须是数字，收到的是 {value}。"),
    "simulate.err.churn_annual": ("An annual churn rate must be at least 0% and below 100%, got {value:g}%.",
                                  "年流失率必须不小于 0% 且低于 100%，收到的是 {value:g}%。"),
    "simulate.err.churn_monthly": ("A monthly churn rate must be at least 0% and below 100%, got {value:g}%.",
                                   "月流失率必须不小于 0% 且低于 100%，收到的是 {value:g}%。"),
    "simulate.err.months": ("The number of months must be at least 1, got {value}.",
                            "月数至少为 1，收到的是 {value}。"),
    "simulate.err.new_per_month": ("New customers per month must be 0 or more, got {value}.",
                                   "每月新增客户数必须不小于 0，收到的是 {value}。"),
    "simulate.err.extra_cost": ("Extra CS spend per customer must be 0 or more, got {value}.",
                                "每客户额外客户成功投入必须不小于 0，收到的是 {value}。"),
    "simulate.err.churn_cut": ("The churn cut must be 0 points or more, got {value}.",
                               "流失率降幅必须不小于 0 个百分点，收到的是 {value}。"),
    "simulate.err.cells": ("A heatmap axis needs at least 2 cells, got {value}.",
                           "热力图每个轴至少需要 2 格，收到的是 {value}。"),
    "simulate.err.axis": ("Unknown heatmap axis {value}; choose one of {choices}.",
                          "未知的热力图坐标轴 {value}；可选：{choices}。"),
    "simulate.err.payback_axis": ("CAC payback cannot vary when the monthly contribution is not positive.",
                                  "月贡献不为正时，无法按 CAC 回收期做敏感性分析。"),
    "simulate.err.same_axes": ("The two heatmap axes must be different levers.",
                               "热力图的两个坐标轴必须是不同的参数。"),
    "simulate.err.payback_pair": ("CAC payback already sets CAC and onboarding; pair it with another lever.",
                                  "CAC 回收期已经决定了获客与实施成本，请与其他参数搭配。"),
    "simulate.err.grid_range": ("Heatmap values out of range: churn must be in 0–100%, gross margin "
                                "in 0–100% and ARPA above 0.",
                                "热力图取值超出范围：流失率须在 0–100% 之间，毛利率须在 0–100% 之间，ARPA 须大于 0。"),
    "simulate.err.no_rates": ("Give at least one churn rate, e.g. 5, 10, 25.",
                              "请至少给出一个流失率，例如 5, 10, 25。"),
    "simulate.err.rate_text": ("'{value}' is not a percentage; write rates like 5, 10, 25.",
                               "“{value}”不是百分比；请按 5, 10, 25 这样的格式填写。"),
    "simulate.err.rate_range": ("'{value}' is outside 0–100%: a churn rate must be at least 0 and below 100.",
                                "“{value}”超出 0–100%：流失率必须不小于 0 且低于 100。"),
    "simulate.err.scenario": ("A saved scenario must be an object.", "保存的情景格式不正确。"),
    "simulate.err.too_many": ("At most {max} scenarios can be saved; remove one first.",
                              "最多保存 {max} 个情景，请先删除一个。"),
    # shared wording
    "simulate.never": ("never", "永不回本"),
    "simulate.months": ("{value} months", "{value} 个月"),
    "simulate.assumptions_not_laws": (
        "These figures follow from the stated assumptions, not from laws: change the levers "
        "and the answer changes.",
        "以上数字来自所列假设，而非定律：调整参数，结论随之改变。"),
    # the text report (python -m cs_metrics simulate --format text)
    "simulate.text.title": ("Leaky bucket: when does an acquired customer pay back?",
                            "漏水的桶：一个新客户何时回本？"),
    "simulate.text.assumptions": (
        "Assumptions: ARPA {arpa}/month, gross margin {margin}, cost to serve {serve}/month, "
        "CAC {cac}, onboarding {onboarding}, expansion {expansion}/month, horizon {horizon}.",
        "假设：ARPA 每月 {arpa}，毛利率 {margin}，服务成本每月 {serve}，获客成本 {cac}，"
        "实施成本 {onboarding}，月扩展率 {expansion}，测算期 {horizon}。"),
    "simulate.text.unit": (
        "Monthly contribution {m}; upfront cost {c}; CAC payback {payback} (ignoring churn).",
        "每月贡献 {m}；前期成本 {c}；CAC 回收期 {payback}（不计流失）。"),
    "simulate.text.years": ("{value} years", "{value} 年"),
    "simulate.text.col_annual": ("annual churn", "年流失率"),
    "simulate.text.col_monthly": ("monthly churn", "月流失率"),
    "simulate.text.col_break_even": ("break-even", "回本时间"),
    "simulate.text.col_ltv": ("LTV", "客户终身价值"),
    "simulate.text.col_ratio": ("LTV:CAC", "LTV:CAC"),
    "simulate.text.col_profit": ("profit after {horizon}", "{horizon}后累计利润"),
    "simulate.text.break_even_at": ("{months} months ({years} years)", "{months} 个月（{years} 年）"),
    "simulate.text.ceiling": ("Highest annual churn that ever breaks even: {churn}.",
                              "能够回本的最高年流失率：{churn}。"),
    "simulate.text.ceiling_all": ("Every churn rate breaks even: the first month's contribution covers the upfront cost.",
                                  "任何流失率都能回本：首月贡献已覆盖前期成本。"),
    "simulate.text.ceiling_none": ("No churn rate breaks even, not even zero: the monthly contribution is not positive.",
                                   "任何流失率（包括零流失）都无法回本：每月贡献不为正。"),
    # charts
    "simulate.chart.monthly_label": ("{value}%/mo", "月{value}%"),
    "simulate.chart.breaks_even": ("breaks even", "能回本"),
    "simulate.chart.churn": ("Churn", "流失率"),
    "simulate.chart.years": ("Years since acquisition", "获客后年数"),
    "simulate.chart.years_running": ("Years", "年"),
    "simulate.chart.years_short": ("{value} yrs", "{value} 年"),
    "simulate.chart.month": ("Month", "月份"),
    "simulate.chart.cumulative": ("Cumulative profit per acquired customer ({currency})",
                                  "每个新客户的累计利润（{currency}）"),
    "simulate.chart.break_even": ("Break-even", "回本时间"),
    "simulate.chart.break_even_years": ("Break-even (years)", "回本年数"),
    "simulate.chart.break_even_title": ("When does a customer pay back? One line per churn rate",
                                        "客户何时回本？每条线代表一个流失率"),
    "simulate.chart.heatmap_title": ("Years to break even", "回本所需年数"),
    "simulate.chart.you_are_here": ("Your current levers", "当前参数"),
    "simulate.chart.mrr": ("MRR ({currency})", "月度经常性收入（{currency}）"),
    "simulate.chart.customers": ("Customers", "客户数"),
    "simulate.chart.level": ("bucket level: new per month ÷ monthly churn", "桶的水位：每月新增 ÷ 月流失率"),
    "simulate.chart.company_title": ("The bucket fills up to its level", "桶里的水涨到水位为止"),
    "simulate.chart.pnl": ("Monthly P&L ({currency})", "月度损益（{currency}）"),
    "simulate.chart.cash": ("Cumulative cash ({currency})", "累计现金（{currency}）"),
    "simulate.chart.cash_title": ("Monthly P&L and cumulative cash", "月度损益与累计现金"),
    # the page
    "simulate.title": ("Leaky Bucket", "漏水的桶"),
    "simulate.question": ("What does churn cost us, and what is a point of churn worth?",
                          "流失让我们付出多少代价？降低一个百分点的流失值多少钱？"),
    "simulate.intro": (
        "A well-known chart says: at 25% annual churn a SaaS company only turns a profit on a "
        "customer after about 5.5 years, and above 35% basically never. Here it is rebuilt from "
        "stated assumptions (ARPA 1,000 a month, 75% gross margin, 150 a month to serve, 16,000 "
        "CAC, 4,000 onboarding). They are assumptions, not laws: move the levers, or fill in your "
        "own figures, and watch the answer change.",
        "一张流传很广的图说：年流失率 25% 时，SaaS 公司要在客户使用约五年半后才能盈利；高于 35% 则基本无法盈利。"
        "这里用明确列出的假设重现这张图（ARPA 每月 1,000、毛利率 75%、服务成本每月 150、获客成本 16,000、"
        "实施成本 4,000）。这些是假设，不是定律：调整参数，或填入你自己的数字，看结论如何变化。"),
    "simulate.levers": ("Levers", "参数"),
    "simulate.lever.arpa": ("ARPA ({currency}/month)", "ARPA（{currency}/月）"),
    "simulate.lever.arpa_help": ("Average revenue per account per month.", "每个客户每月的平均收入。"),
    "simulate.lever.gross_margin": ("Gross margin (%)", "毛利率（%）"),
    "simulate.lever.gross_margin_help": ("Share of revenue left after the cost of delivering the product.",
                                         "扣除产品交付成本后收入中剩下的比例。"),
    "simulate.lever.cost_to_serve": ("Cost to serve ({currency}/month)", "服务成本（{currency}/月）"),
    "simulate.lever.cost_to_serve_help": ("Customer success, support and account management, per retained customer per month.",
                                          "每个客户每月的客户成功、支持与客户管理成本。"),
    "simulate.lever.expansion": ("Expansion (%/month)", "扩展率（%/月）"),
    "simulate.lever.expansion_help": ("Growth of a retained customer's revenue each month (upsell, more seats).",
                                      "留存客户每月的收入增长（增购、加席位）。"),
    "simulate.lever.cac": ("CAC ({currency})", "获客成本 CAC（{currency}）"),
    "simulate.lever.cac_help": ("Sales and marketing cost of winning one new customer.", "赢得一个新客户的销售与市场费用。"),
    "simulate.lever.onboarding": ("Onboarding ({currency})", "实施成本（{currency}）"),
    "simulate.lever.onboarding_help": ("One-off implementation and onboarding cost of a new customer.",
                                       "新客户一次性的实施与上线成本。"),
    "simulate.lever.churn_annual": ("Churn (%/year)", "流失率（%/年）"),
    "simulate.lever.churn_monthly": ("Churn (%/month)", "流失率（%/月）"),
    "simulate.lever.churn_help": ("Share of customers lost. Annual and monthly convert as 1 − (1 − monthly)^12, never × 12.",
                                  "流失客户的比例。年与月之间按 1 − (1 − 月流失率)^12 换算，而不是乘以 12。"),
    "simulate.lever.horizon": ("Horizon (years)", "测算期（年）"),
    "simulate.basis": ("Churn given", "流失率口径"),
    "simulate.basis.annual": ("per year", "按年"),
    "simulate.basis.monthly": ("per month", "按月"),
    "simulate.rates_annual": ("Churn rates drawn on the chart (% per year)", "图中绘制的流失率（每年 %）"),
    "simulate.rates_monthly": ("Churn rates drawn on the chart (% per month)", "图中绘制的流失率（每月 %）"),
    "simulate.rates_help": ("Percentages separated by commas, e.g. 5, 10, 25.", "用逗号分隔的百分比，例如 5, 10, 25。"),
    "simulate.your_bucket": ("Your bucket: use our measured figures", "你的桶：使用实测数据"),
    "simulate.your_bucket_help": (
        "Fills ARPA, churn and expansion from the loaded revenue data: ARPA = MRR ÷ active accounts in "
        "the last month; churn = 1 − logo retention over the trailing 12 months; expansion = expansion "
        "MRR ÷ opening MRR, averaged over those months. Costs stay your assumptions.",
        "用已导入的收入数据填入 ARPA、流失率和扩展率：ARPA = 最近一个月 MRR ÷ 活跃客户数；流失率 = 1 − 近 12 个月的"
        "客户数留存率；扩展率 = 扩展 MRR ÷ 期初 MRR，按月平均。成本仍是你的假设。"),
    "simulate.your_bucket_missing": ("Load monthly revenue (MRR) or subscriptions to use your own figures.",
                                     "导入月度收入（MRR）或订阅记录后即可使用你自己的数字。"),
    "simulate.measured_from": ("Your data, {start} → {end} ({n} active accounts): ARPA {arpa}, "
                               "churn {churn}, expansion {expansion}.",
                               "你的数据，{start} → {end}（{n} 个活跃客户）：ARPA {arpa}，流失率 {churn}，"
                               "扩展率 {expansion}。"),
    "simulate.annualised": ("Only {k} months of history: churn annualised.", "仅有 {k} 个月历史：流失率已年化。"),
    "simulate.measured_badge": ("measured", "实测"),
    "simulate.unbounded_loss": ("unbounded loss", "无限亏损"),
    "simulate.per_year": ("{value}/yr", "{value}/年"),
    "simulate.per_month": ("{value}/mo", "{value}/月"),
    "simulate.years": ("{value} years", "{value} 年"),
    "simulate.none_breaks_even": ("none", "无"),
    "simulate.all_break_even": ("any", "任意"),
    "simulate.kpi.heading": ("One acquired customer at {churn} churn", "流失率 {churn} 时的一个新客户"),
    "simulate.kpi.break_even_plain": ("Break-even", "回本时间"),
    "simulate.kpi.break_even_help": (
        "Time until the cumulative profit of an acquired customer turns positive: "
        "n* = ln(1 − C(1 − ρ)/m) / ln ρ months, with m the monthly contribution, C the upfront cost "
        "and ρ = (1 − annual churn)^(1/12). It exists only when LTV > C; otherwise never.",
        "一个新客户的累计利润转正所需时间：n* = ln(1 − C(1 − ρ)/m) / ln ρ 个月，m 为每月贡献，C 为前期成本，"
        "ρ = (1 − 年流失率)^(1/12)。只有 LTV > C 时才存在，否则永不回本。"),
    "simulate.kpi.ltv": ("LTV per customer", "客户终身价值（LTV）"),
    "simulate.kpi.ltv_short": ("LTV", "LTV"),
    "simulate.kpi.ltv_help": (
        "Lifetime contribution of a customer: LTV = m / (1 − ρ), the monthly contribution over the "
        "monthly churn (with expansion: ARPA × margin / (1 − ρ(1 + g)) − cost to serve / (1 − ρ)). "
        "Unbounded at zero churn.",
        "一个客户终身的贡献：LTV = m / (1 − ρ)，即每月贡献除以月流失率（有扩展时：ARPA × 毛利率 / (1 − ρ(1 + g)) − "
        "服务成本 / (1 − ρ)）。零流失时无上限。"),
    "simulate.kpi.ltv_to_cac": ("LTV : CAC", "LTV : CAC"),
    "simulate.kpi.ltv_to_cac_help": ("LTV ÷ upfront cost (CAC + onboarding). Below 1 the customer never pays back.",
                                     "LTV ÷ 前期成本（获客 + 实施）。低于 1 则客户永远无法回本。"),
    "simulate.kpi.payback": ("CAC payback", "CAC 回收期"),
    "simulate.kpi.payback_help": ("Upfront cost ÷ monthly contribution, ignoring churn, as commonly quoted (target < 12 months).",
                                  "前期成本 ÷ 每月贡献，不计流失，即通常所说的回收期（目标 < 12 个月）。"),
    "simulate.kpi.ceiling_short": ("Churn limit", "流失率上限"),
    "simulate.kpi.ceiling_help": ("The highest churn that ever breaks even, c* = 1 − (1 − m/C)^12 per year: "
                                  "at or above it a customer never pays back.",
                                  "能回本的最高流失率，c* = 1 − (1 − m/C)^12（年）：达到或高于此值，客户永远无法回本。"),
    "simulate.formulas_title": ("How these figures are computed", "这些数字如何计算"),
    "simulate.formulas": (
        "- Monthly contribution per retained customer **m** = ARPA × gross margin − cost to serve = {m}\n"
        "- Upfront cost **C** = CAC + onboarding = {c}\n"
        "- Monthly survival **ρ** = (1 − annual churn)^(1/12); monthly churn = 1 − ρ (never annual ÷ 12)\n"
        "- Cumulative profit after n months **P(n)** = −C + m (1 − ρⁿ) / (1 − ρ): month 1 is paid in full, "
        "then a share ρ stays each month\n"
        "- **Break-even** n* = ln(1 − C(1 − ρ)/m) / ln ρ, only when LTV > C\n"
        "- **LTV** = m / (1 − ρ); **LTV:CAC** = LTV / C; **CAC payback** = C / m months, ignoring churn\n"
        "- **Highest churn that ever breaks even** c* = 1 − (1 − m/C)^12\n"
        "- With monthly expansion g, revenue of a retained customer grows × (1 + g) a month; LTV = "
        "ARPA × margin / (1 − ρ(1 + g)) − cost to serve / (1 − ρ), and the break-even month is solved numerically\n"
        "- Company view: with N new customers a month, customers → N / (1 − ρ) (the bucket's level) and the "
        "month's P&L = N × P(t), so it turns positive at the break-even month",
        "- 每个留存客户的每月贡献 **m** = ARPA × 毛利率 − 服务成本 = {m}\n"
        "- 前期成本 **C** = 获客成本 + 实施成本 = {c}\n"
        "- 月留存率 **ρ** = (1 − 年流失率)^(1/12)；月流失率 = 1 − ρ（不是年流失率 ÷ 12）\n"
        "- n 个月后的累计利润 **P(n)** = −C + m (1 − ρⁿ) / (1 − ρ)：第 1 个月全额付费，之后每月留下 ρ\n"
        "- **回本时间** n* = ln(1 − C(1 − ρ)/m) / ln ρ，仅当 LTV > C 时存在\n"
        "- **LTV** = m / (1 − ρ)；**LTV:CAC** = LTV / C；**CAC 回收期** = C / m 个月，不计流失\n"
        "- **能回本的最高流失率** c* = 1 − (1 − m/C)^12\n"
        "- 有月扩展率 g 时，留存客户收入每月 × (1 + g)；LTV = ARPA × 毛利率 / (1 − ρ(1 + g)) − 服务成本 / (1 − ρ)，"
        "回本时间用数值方法求解\n"
        "- 公司视角：每月新增 N 个客户，客户数趋近 N / (1 − ρ)（桶的水位），当月损益 = N × P(t)，因此在回本月转正"),
    "simulate.tab.curve": ("Break-even curves", "回本曲线"),
    "simulate.tab.lever": ("The CS lever", "客户成功杠杆"),
    "simulate.tab.company": ("The company", "公司视角"),
    "simulate.tab.heatmap": ("Sensitivity", "敏感性"),
    "simulate.tab.scenarios": ("Scenarios", "情景对比"),
    "simulate.never_lines": ("Never profitable (dashed): {rates}.", "永不回本（虚线）：{rates}。"),
    "simulate.payback_note": (
        "With the CAC payback assumed here ({payback}), the highest churn that ever breaks even is {limit}; "
        "with a 12-month payback it would be {limit12}.",
        "按这里假设的 CAC 回收期（{payback}），能回本的最高流失率为 {limit}；如果回收期是 12 个月，则为 {limit12}。"),
    "simulate.lever_intro": (
        "Spend more on customer success per customer and cut churn: does it pay?",
        "为每个客户多投入一些客户成功资源、降低流失：值得吗？"),
    "simulate.cs.spend": ("Extra CS spend ({currency} per customer per month)", "额外客户成功投入（每客户每月，{currency}）"),
    "simulate.cs.cut_annual": ("Churn cut (points per year)", "流失率降低（每年百分点）"),
    "simulate.cs.cut_monthly": ("Churn cut (points per month)", "流失率降低（每月百分点）"),
    "simulate.cs.result": (
        "Spending **{spend}** more per customer per month and cutting churn by **{cut} points** "
        "({before_churn} → {after_churn}) moves break-even from **{a}** to **{b}** and LTV from **{c}** to **{d}**.",
        "每个客户每月多投入 **{spend}**、流失率降低 **{cut} 个百分点**（{before_churn} → {after_churn}），"
        "回本时间从 **{a}** 变为 **{b}**，LTV 从 **{c}** 变为 **{d}**。"),
    "simulate.cs.justified": ("Spend that breaks even", "投入上限"),
    "simulate.cs.break_even_after": ("Break-even, with CS", "投入后回本时间"),
    "simulate.cs.ltv_after": ("LTV, with CS", "投入后 LTV"),
    "simulate.cs.justified_help": (
        "Per customer per month. The extra monthly spend at which this churn cut leaves LTV unchanged: (1 − ρ′) × (LTV at the lower "
        "churn − LTV now). Spending less raises LTV.",
        "每客户每月。使本次流失率降低后 LTV 保持不变的每月额外投入：(1 − ρ′) × (较低流失率下的 LTV − 当前 LTV)。投入低于此值则 LTV 提升。"),
    "simulate.cs.point": ("Value of 1 point less churn", "降低 1 个百分点的价值"),
    "simulate.cs.point_help": ("LTV gained per customer when annual churn drops by one point from {churn}, costs unchanged.",
                               "在成本不变时，年流失率从 {churn} 降低 1 个百分点带来的每客户 LTV 增量。"),
    "simulate.cs.pays": ("At {spend} a month the CS investment pays: it stays below the {justified} the churn cut is worth.",
                         "每月投入 {spend} 是划算的：低于这次流失率降低所值的 {justified}。"),
    "simulate.cs.does_not_pay": ("At {spend} a month the CS investment costs more than the {justified} the churn cut is worth.",
                                 "每月投入 {spend} 超过了这次流失率降低所值的 {justified}，并不划算。"),
    "simulate.company_intro": (
        "With a steady flow of new customers the bucket fills to a level where churn drains as many as "
        "sales pour in: new per month ÷ monthly churn.",
        "每月稳定获得新客户时，桶里的水会涨到一个水位：流失的客户和新增的一样多，即每月新增 ÷ 月流失率。"),
    "simulate.company.new": ("New customers per month", "每月新增客户数"),
    "simulate.company.level": ("Customer level", "客户数水位"),
    "simulate.company.level_help": ("Customers approach new per month ÷ monthly churn.", "客户数趋近 每月新增 ÷ 月流失率。"),
    "simulate.company.mrr_level": ("MRR level", "MRR 水位"),
    "simulate.company.mrr_level_help": ("MRR approaches new per month × ARPA ÷ (1 − ρ(1 + expansion)).",
                                        "MRR 趋近 每月新增 × ARPA ÷ (1 − ρ(1 + 扩展率))。"),
    "simulate.company.pnl_positive": ("Monthly P&L positive from", "月度损益转正于"),
    "simulate.company.pnl_help": (
        "The month's P&L is the contribution of every live customer minus the acquisition and onboarding "
        "of the month's new ones; it equals new per month × P(t), so it turns positive at the break-even month.",
        "当月损益 = 所有在网客户的贡献 − 当月新客户的获客与实施成本；它等于 每月新增 × P(t)，因此在回本月转正。"),
    "simulate.company.not_within": ("not within the horizon", "测算期内不会"),
    "simulate.company.funding": ("Funding needed", "所需资金"),
    "simulate.company.funding_help": ("The lowest point of cumulative cash (month {month}): what the bucket costs before it fills.",
                                      "累计现金的最低点（第 {month} 个月）：桶装满之前需要投入的资金。"),
    "simulate.company.cash_end": ("Cumulative cash after {horizon}: {cash}.", "{horizon}后的累计现金：{cash}。"),
    "simulate.company.cash_back": ("Cumulative cash turns positive after {when}.", "累计现金在 {when} 后转正。"),
    "simulate.company.cash_not_back": ("Cumulative cash does not turn positive within the horizon.",
                                       "累计现金在测算期内不会转正。"),
    "simulate.heatmap_intro": ("Years to break even over two levers; the other levers stay as set above.",
                               "两个参数组合下的回本年数；其他参数保持上方的设置。"),
    "simulate.heatmap.x": ("Across", "横轴"),
    "simulate.heatmap.y": ("Up", "纵轴"),
    "simulate.heatmap_note": ("Grey cells never break even; colours stop changing beyond {cap} years. "
                              "CAC payback sets CAC + onboarding = payback × monthly contribution.",
                              "灰色格子永不回本；超过 {cap} 年颜色不再变化。CAC 回收期决定 获客 + 实施成本 = 回收期 × 每月贡献。"),
    "simulate.param.annual_churn": ("Annual churn", "年流失率"),
    "simulate.param.cac_payback": ("CAC payback (months)", "CAC 回收期（月）"),
    "simulate.param.cac": ("CAC ({currency})", "获客成本（{currency}）"),
    "simulate.param.onboarding": ("Onboarding ({currency})", "实施成本（{currency}）"),
    "simulate.param.arpa": ("ARPA ({currency} per month)", "ARPA（每月，{currency}）"),
    "simulate.param.gross_margin": ("Gross margin", "毛利率"),
    "simulate.param.cost_to_serve": ("Cost to serve ({currency} per month)", "服务成本（每月，{currency}）"),
    "simulate.param.monthly_expansion": ("Monthly expansion", "月扩展率"),
    "simulate.scenarios_intro": ("Save up to {max} sets of levers in this workspace and compare them side by side.",
                                 "在此工作区最多保存 {max} 组参数，并排对比。"),
    "simulate.scenario_name": ("Scenario name", "情景名称"),
    "simulate.scenario_default": ("Scenario {n}", "情景 {n}"),
    "simulate.save_scenario": ("Save current levers", "保存当前参数"),
    "simulate.load_scenario": ("Use", "使用"),
    "simulate.no_scenarios": ("No saved scenarios yet.", "尚无已保存的情景。"),
    "simulate.scenario_card": (
        "Churn {churn} · LTV {ltv} · LTV:CAC {ratio}  \n"
        "ARPA {arpa} · margin {margin} · serve {serve} · upfront {upfront} · expansion {expansion}/mo  \n"
        "Profit after {horizon}: {profit}",
        "流失率 {churn} · LTV {ltv} · LTV:CAC {ratio}  \n"
        "ARPA {arpa} · 毛利率 {margin} · 服务成本 {serve} · 前期成本 {upfront} · 月扩展率 {expansion}  \n"
        "{horizon}后累计利润：{profit}"),
    "simulate.chart.scenarios_title": ("Saved scenarios: cumulative profit per acquired customer",
                                       "已保存情景：每个新客户的累计利润"),
    "simulate.chart.your_churn": ("your churn", "你的流失率"),
}
