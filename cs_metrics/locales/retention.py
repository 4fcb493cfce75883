"""Text of the Retention page ("Where does our revenue leak?") and its charts."""

MESSAGES = {
    "retention.title": ("Retention", "收入留存"),
    "retention.question": ("Where does our revenue leak?", "我们的收入从哪里流失？"),
    "retention.as_of": ("As-of month", "截至月份"),
    "retention.as_of_help": ("The month the figures describe. The window ends here.",
                             "指标所描述的月份，时间窗口在此月结束。"),
    "retention.window": ("Window", "时间窗口"),
    "retention.window_help": ("GRR, NRR, logo retention and the movements compare the as-of month with "
                              "the month this many months earlier. Twelve months (trailing twelve) is the "
                              "standard; shorter windows are variants.",
                              "GRR、NRR、客户留存率和收入变动均比较截至月份与此前若干个月的月份。"
                              "标准口径为 12 个月（滚动十二个月），更短的窗口是变体口径。"),
    "retention.window_default": ("{n} months (standard)", "{n} 个月（标准口径）"),
    "retention.window_variant": ("{n} months (variant)", "{n} 个月（变体口径）"),
    "retention.window_variant_one": ("1 month (variant)", "1 个月（变体口径）"),
    "retention.window_variant_note": ("Variant window: {n} months, not the standard twelve.",
                                      "变体口径：窗口为 {n} 个月，而非标准的 12 个月。"),
    "retention.split_by": ("Split survival by", "生存曲线分组依据"),
    "retention.split_none": ("No split (all accounts)", "不分组（全部客户）"),
    "retention.window_span": ("Window {start} → {end}", "窗口 {start} → {end}"),
    "retention.no_window": ("The {n}-month window ending {end} starts before the first month of the data "
                            "({first}), where revenue is unknown. Choose a shorter window or a later month.",
                            "截至 {end} 的 {n} 个月窗口起点早于数据的第一个月（{first}），该时段收入未知。"
                            "请选择更短的窗口或更晚的月份。"),
    "retention.no_revenue_data": ("The revenue table has no rows with an amount above zero.",
                                  "收入表中没有金额大于零的记录。"),
    "retention.scope_empty": ("No account in the current filter has revenue.",
                              "当前筛选范围内没有客户产生收入。"),
    # KPI tiles
    "retention.kpi.grr": ("GRR", "总收入留存率"),
    "retention.kpi.nrr": ("NRR", "净收入留存率"),
    "retention.kpi.logo_retention": ("Logo retention", "客户数留存率"),
    "retention.kpi.quick_ratio": ("Quick ratio", "增长效率比"),
    "retention.kpi.mrr": ("MRR", "月经常性收入"),
    "retention.kpi.mrr_index": ("MRR index", "MRR 指数"),
    "retention.kpi.arr": ("ARR", "年度经常性收入（ARR）"),
    "retention.kpi.arr_growth": ("ARR growth over the window", "窗口内 ARR 增长"),
    "retention.kpi.arpa": ("ARPA", "客均月收入"),
    "retention.kpi.arpa_index": ("ARPA index", "客均收入指数"),
    "retention.kpi.cmrr": ("CMRR", "承诺收入"),
    "retention.kpi.cmrr_share": ("CMRR / MRR", "承诺收入占比"),
    "retention.kpi.renewal_rate": ("Renewal rate", "续约率"),
    "retention.kpi.logo_churn_monthly": ("Churn, annualised", "年化流失率"),
    "retention.kpi.nps": ("NPS", "净推荐值"),
    "retention.delta_pp": ("{value} pts", "{value} 个百分点"),
    "retention.delta_pct": ("{value}", "{value}"),
    "retention.delta_ratio": ("{value}", "{value}"),
    "retention.delta_note": ("The small figure under each tile is the change against the previous window "
                             "of the same length ({start} → {end}); for MRR, the change since the window start.",
                             "每个指标下方的小字为与上一个同长度窗口（{start} → {end}）相比的变化；MRR 为相对窗口起点的变化。"),
    "retention.help.grr": ("Gross revenue retention. GRR = Σ min(MRR at the end, MRR at the start) ÷ Σ MRR at the start, over the "
                           "accounts paying at the start of the window. Expansion does not count, so it "
                           "never exceeds 100%. {window}.",
                           "总收入留存率。GRR = Σ（期末 MRR 与期初 MRR 中的较小值）÷ Σ 期初 MRR，统计窗口起点仍在付费的客户。"
                           "增购不计入，因此不会超过 100%。{window}。"),
    "retention.help.nrr": ("Net revenue retention. NRR = Σ MRR at the end ÷ Σ MRR at the start, over the accounts paying at the "
                           "start of the window; expansion counts, new customers do not. {window}.",
                           "净收入留存率。NRR = Σ 期末 MRR ÷ Σ 期初 MRR，统计窗口起点仍在付费的客户；计入增购，"
                           "不计新客户。{window}。"),
    "retention.help.logo_retention": ("Share of the accounts paying at the start of the window that still "
                                      "pay at the end (one that left and came back counts as retained). "
                                      "Logo churn = 100% − this. {window}.",
                                      "窗口起点在付费的客户中，期末仍在付费的比例（流失后又回来的客户算作留存）。"
                                      "客户流失率 = 100% − 此值。{window}。"),
    "retention.help.quick_ratio": ("(new + expansion + reactivation MRR) ÷ (contraction + churned MRR) over "
                                   "the window: above 1 the bucket fills faster than it leaks; 4 or more is "
                                   "considered efficient growth. n/a when nothing was lost. {window}.",
                                   "窗口内（新增 + 扩容 + 回流 MRR）÷（缩减 + 流失 MRR）：大于 1 表示进水快于漏水，"
                                   "达到 4 以上被视为高效增长。没有任何流失时为不可用。{window}。"),
    "retention.help.mrr": ("Monthly recurring revenue of every account in the as-of month; the delta is the "
                           "change since the start of the window. {window}.",
                           "截至月份所有客户的月度经常性收入；变化值为相对窗口起点的变化。{window}。"),
    "retention.help.mrr_index": ("MRR of the as-of month with the window start set to 100 (amounts hidden). "
                                 "{window}.",
                                 "以窗口起点为 100 的截至月份 MRR 指数（隐藏金额）。{window}。"),
    "retention.help.arr": ("ARR = 12 × MRR of the as-of month.", "ARR = 12 × 截至月份的 MRR。"),
    "retention.help.arr_growth": ("Change of ARR (12 × MRR) from the window start to the as-of month. {window}.",
                                  "ARR（12 × MRR）从窗口起点到截至月份的变化。{window}。"),
    "retention.help.arpa": ("Average revenue per account: MRR of the as-of month ÷ accounts paying in it.",
                            "客均收入：截至月份的 MRR ÷ 当月付费客户数。"),
    "retention.help.arpa_index": ("ARPA of the as-of month with the window start set to 100 (amounts hidden).",
                                  "以窗口起点为 100 的截至月份客均收入指数（隐藏金额）。"),
    "retention.help.cmrr": ("Committed monthly recurring revenue: CMRR = MRR now + signed MRR that starts later − MRR of accounts that "
                            "have given notice (status notice, a churn date or a subscription end date after "
                            "this month). Only for the latest month of the data, as status is today's.",
                            "承诺 MRR = 当前 MRR + 已签约但尚未开始的 MRR − 已提出解约客户的 MRR"
                            "（状态为已提出解约，或流失日期、订阅结束日期晚于本月）。状态反映的是当前情况，"
                            "因此仅针对数据的最新月份计算。"),
    "retention.help.renewal_rate": ("Renewals due in the window whose account still paid 30 days after the "
                                    "renewal date, ÷ renewals due. Dates before the recorded renewal date are "
                                    "taken every 12 months back (annual contracts). By ARR: {arr}. {window}.",
                                    "窗口内到期的续约中，续约日 30 天后仍在付费的比例。记录的续约日期之前的续约"
                                    "按每 12 个月向前推算（年度合同）。按 ARR 加权：{arr}。{window}。"),
    "retention.help.logo_churn_monthly": ("Logo churn of the as-of month (accounts churned ÷ accounts paying the "
                                          "month before), annualised as 1 − (1 − monthly)^12 (never × 12). "
                                          "Monthly: {monthly}.",
                                          "截至月份流失的客户数 ÷ 上月付费客户数，按 1 − (1 − 月流失率)^12 "
                                          "年化（不是乘以 12）。月度值：{monthly}。"),
    "retention.help.nps": ("% promoters (9–10) − % detractors (0–6) over the survey answers in the window "
                           "({responses} answers). {window}.",
                           "窗口内调研回答中推荐者（9–10 分）占比 − 贬损者（0–6 分）占比（共 {responses} 份回答）。"
                           "{window}。"),
    # Sections
    "retention.bridge.title": ("ARR bridge: from the start of the window to its end",
                               "ARR 桥接：从窗口起点到终点"),
    "retention.bridge.caption": ("Start ARR, plus new, expansion and reactivation, minus contraction and churn, "
                                 "gives end ARR (ARR = 12 × MRR).",
                                 "期初 ARR 加上新增、扩容和回流，减去缩减和流失，得到期末 ARR（ARR = 12 × MRR）。"),
    "retention.bridge.caption_hidden": ("Amounts hidden: each step as a share of start ARR (start = 100%).",
                                        "已隐藏金额：各项以期初 ARR 的百分比表示（期初 = 100%）。"),
    "retention.movements.title": ("MRR movements by month", "每月 MRR 变动"),
    "retention.movements.caption": ("Gains stack upwards, losses downwards. Click a bar to list the accounts "
                                    "behind it.",
                                    "增长向上堆叠，损失向下堆叠。点击柱形可列出其背后的客户。"),
    "retention.movements.caption_hidden": ("Amounts hidden: each movement as a share of the previous month's MRR.",
                                           "已隐藏金额：各项变动以上月 MRR 的百分比表示。"),
    "retention.movements.pick": ("Click a bar in the chart to see the accounts behind it.",
                                 "点击图中的柱形，查看其背后的客户。"),
    "retention.movements.accounts": ("{movement} in {month}, accounts behind it: {n}", "{month} 的{movement}：共 {n} 个客户"),
    "retention.trend.title": ("GRR and NRR over time", "GRR 与 NRR 趋势"),
    "retention.trend.caption": ("Each point is the {n}-month window ending in that month; the last two "
                                "years are shown.",
                                "每个点代表截至该月的 {n} 个月窗口；显示最近两年。"),
    "retention.cohorts.title": ("Cohorts: how each month's new customers stay", "客户群组：每月新客户的留存情况"),
    "retention.cohorts.logo": ("Logo retention", "客户数留存"),
    "retention.cohorts.revenue": ("Net revenue retention", "净收入留存"),
    "retention.cohorts.caption": ("Rows: the month of the first payment; columns: months since then. Empty cells "
                                  "are still in the future. The first row (≤) holds the accounts already paying "
                                  "when the data starts and is left out of the weighted average. Click a cell to "
                                  "list its accounts.",
                                  "行：首次付费月份；列：此后经过的月数。空白单元格尚未到来。第一行（≤）为数据开始时"
                                  "已在付费的客户，不计入加权平均。点击单元格可列出对应客户。"),
    "retention.cohorts.average": ("Weighted average", "加权平均"),
    "retention.cohorts.pick": ("Click a cell to see the accounts of that cohort.", "点击单元格，查看该群组的客户。"),
    "retention.cohorts.accounts": ("Cohort {cohort}, month {age}: {kept} of {n} accounts still paying",
                                   "群组 {cohort}，第 {age} 个月：{n} 个客户中仍有 {kept} 个在付费"),
    "retention.survival.title": ("How long customers stay", "客户会留存多久"),
    "retention.survival.caption": ("Kaplan–Meier estimate of the share of customers still paying after each "
                                   "month since their first payment, with {level} confidence bands. Accounts "
                                   "already paying when the data starts are counted from their start date "
                                   "when known.",
                                   "乘积极限法（Kaplan–Meier）估计：自首次付费起，每经过一个月仍在付费的客户比例，阴影为 {level} "
                                   "置信区间。数据开始时已在付费的客户，若有开始日期则从开始日期起计算。"),
    "retention.survival.median": ("Median lifetime", "生命周期中位数"),
    "retention.survival.median_value": ("{months} months", "{months} 个月"),
    "retention.survival.not_reached": ("not reached", "尚未达到"),
    "retention.survival.left_out": ("Smaller groups not drawn: {groups}.", "未绘制的较小分组：{groups}。"),
    "retention.survival.compare": ("Compare two groups (log-rank test)", "比较两个分组（对数秩检验）"),
    "retention.survival.first": ("First group", "分组一"),
    "retention.survival.second": ("Second group", "分组二"),
    "retention.survival.differ": ("{a} and {b} differ: χ² = {chi2}, {p}. The gap between their curves is "
                                  "unlikely to be chance.",
                                  "{a} 与 {b} 存在显著差异：χ² = {chi2}，{p}。两条曲线的差距不太可能是偶然造成的。"),
    "retention.survival.same": ("No clear difference between {a} and {b}: χ² = {chi2}, {p}.",
                                "{a} 与 {b} 之间没有明显差异：χ² = {chi2}，{p}。"),
    "retention.survival.no_test": ("Not enough churn in these groups to compare them.",
                                   "这些分组的流失数据不足，无法比较。"),
    "retention.survival.all": ("All accounts", "全部客户"),
    "retention.survival.blank": ("(blank)", "（空白）"),
    # Charts
    "retention.movement.new": ("New", "新增"),
    "retention.movement.expansion": ("Expansion", "扩容"),
    "retention.movement.reactivation": ("Reactivation", "回流"),
    "retention.movement.contraction": ("Contraction", "缩减"),
    "retention.movement.churn": ("Churn", "流失"),
    "retention.step.start": ("Start ARR {month}", "期初 ARR {month}"),
    "retention.step.end": ("End ARR {month}", "期末 ARR {month}"),
    "retention.axis.month": ("Month", "月份"),
    "retention.axis.arr": ("ARR", "ARR"),
    "retention.axis.share_of_start": ("Share of start ARR", "占期初 ARR 的比例"),
    "retention.axis.mrr_change": ("MRR change", "MRR 变动"),
    "retention.axis.share_of_mrr": ("Share of last month's MRR", "占上月 MRR 的比例"),
    "retention.axis.rate": ("Retention", "留存率"),
    "retention.axis.age": ("Months since first payment", "首次付费后的月数"),
    "retention.axis.cohort": ("Cohort (first payment)", "群组（首次付费月份）"),
    "retention.axis.survival": ("Still paying", "仍在付费的比例"),
    "retention.axis.movement": ("Movement", "变动类型"),
    "retention.axis.step": ("Step", "项目"),
    "retention.axis.amount": ("Amount", "金额"),
    "retention.axis.accounts": ("Accounts", "客户数"),
    "retention.axis.group": ("Group", "分组"),
    "retention.axis.band_low": ("Band, low", "置信区间下限"),
    "retention.axis.band_high": ("Band, high", "置信区间上限"),
    "retention.series.grr": ("GRR", "GRR"),
    "retention.series.nrr": ("NRR", "NRR"),
    "retention.series.logo_retention": ("Logo retention", "客户数留存率"),
    "retention.series.measure": ("Measure", "指标"),
    # Account lists
    "retention.col.movement": ("Movement", "变动类型"),
    "retention.col.mrr_before": ("MRR the month before", "上月 MRR"),
    "retention.col.mrr_after": ("MRR this month", "本月 MRR"),
    "retention.col.amount": ("Change", "变动金额"),
    "retention.col.relative_change": ("Change (%)", "变动比例"),
    "retention.col.mrr_start": ("MRR in the first month", "首月 MRR"),
    "retention.col.mrr_at_age": ("MRR in that month", "当月 MRR"),
    "retention.col.retained": ("Still paying", "仍在付费"),
    "retention.col.net_retention": ("MRR kept (%)", "MRR 保留比例"),
    "retention.col.group": ("Group", "分组"),
    "retention.col.accounts": ("Accounts", "客户数"),
    "retention.col.churned": ("Churned", "已流失"),
    "retention.col.median": ("Median lifetime (months)", "生命周期中位数（月）"),
    "retention.col.median_ci": ("Median 95% interval", "中位数 95% 区间"),
    "retention.col.survival_12": ("Still paying after 12 months", "12 个月后仍付费"),
    "retention.col.survival_24": ("Still paying after 24 months", "24 个月后仍付费"),
}
