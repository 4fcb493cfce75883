"""Text of the ingest: where a problem is, what is wrong with a file, and what to do about it.

Written for a customer-success leader, not a programmer: the file, sheet, rows and column
come first (``Issue.where``), then one sentence on the problem and what to do.
"""

MESSAGES = {
    # Location of a finding.
    "ingest.where.sheet": ("sheet “{sheet}”", "工作表“{sheet}”"),
    "ingest.where.row": ("row {rows}", "第 {rows} 行"),
    "ingest.where.rows": ("rows {rows}", "第 {rows} 行"),
    "ingest.where.more": ("and {n} more", "等，另有 {n} 行"),
    "ingest.where.column": ("column “{column}”", "列“{column}”"),
    # Files that are not readable tables.
    "ingest.error.not_found": ("The file was not found.", "找不到该文件。"),
    "ingest.error.empty": ("The file is empty. Export the table again with its rows.",
                           "文件是空的。请重新导出包含数据行的表格。"),
    "ingest.error.legacy_xls": (
        "This is an old Excel .xls workbook, which Polaris cannot read. Open it in Excel and save it as "
        ".xlsx or as CSV, then upload that file.",
        "这是旧版 Excel .xls 工作簿，Polaris 无法读取。请在 Excel 中另存为 .xlsx 或 CSV 后再上传。"),
    "ingest.error.unsupported": (
        "Files of type “{ext}” cannot be read. Upload a CSV, TSV or TXT file, or an Excel .xlsx/.xlsm workbook.",
        "无法读取“{ext}”类型的文件。请上传 CSV、TSV、TXT 文件或 Excel .xlsx/.xlsm 工作簿。"),
    "ingest.error.bad_xlsx": (
        "The workbook cannot be opened (damaged, password-protected or not really .xlsx). Save it again from "
        "Excel as .xlsx or CSV.",
        "无法打开该工作簿（可能已损坏、有密码保护或并非真正的 .xlsx）。请在 Excel 中重新另存为 .xlsx 或 CSV。"),
    "ingest.error.binary": (
        "This is not a text table (it contains binary data). Upload a CSV, TSV or TXT export, or an .xlsx workbook.",
        "这不是文本表格（包含二进制数据）。请上传 CSV、TSV、TXT 导出文件或 .xlsx 工作簿。"),
    "ingest.error.unknown_encoding": (
        "“{encoding}” is not a known text encoding. Try UTF-8, GB18030, Big5 or cp1252.",
        "“{encoding}”不是可识别的文本编码。请尝试 UTF-8、GB18030、Big5 或 cp1252。"),
    "ingest.error.wrong_encoding": (
        "The file is not in the encoding {encoding}. Choose another encoding or let Polaris detect it.",
        "该文件不是 {encoding} 编码。请选择其他编码，或让 Polaris 自动识别。"),
    "ingest.error.undecodable": (
        "The text encoding of this file could not be recognised. Save it from Excel as “CSV UTF-8”.",
        "无法识别该文件的文本编码。请在 Excel 中另存为“CSV UTF-8”格式。"),
    "ingest.error.bad_bytes": (
        "From line {line} on, the file is not valid {encoding} text. Choose the right encoding, or save the "
        "file again as “CSV UTF-8”.",
        "从第 {line} 行起，文件内容不是有效的 {encoding} 文本。请选择正确的编码，或重新另存为“CSV UTF-8”。"),
    "ingest.error.bad_quotes": (
        "A quotation mark opened near line {line} is never closed, so the rows cannot be told apart. Fix the "
        "quote or export the file again.",
        "第 {line} 行附近有未闭合的引号，无法区分各行。请修正引号或重新导出文件。"),
    "ingest.error.row_too_large": (
        "A single row is larger than {size}; this does not look like a table export.",
        "单行内容超过 {size}，看起来不像表格导出文件。"),
    "ingest.error.header_row": ("There is no row {row} to use as the header.", "不存在可作为表头的第 {row} 行。"),
    "ingest.error.too_many_columns": (
        "The table has {n} columns; Polaris reads at most {limit}. Remove columns you do not need and upload again.",
        "该表有 {n} 列，Polaris 最多读取 {limit} 列。请删除不需要的列后重新上传。"),
    "ingest.error.ragged_long": (
        "these rows have more values than the header has columns ({n}), so values would land in the wrong "
        "columns. Often a number like 4,800 is not in quotes. Fix these rows or export again.",
        "这些行的值比表头的列数（{n}）多，数值会错位。常见原因是 4,800 这样的数字没有加引号。请修正这些行或重新导出。"),
    "ingest.error.cell_too_large": (
        "a cell holds {size} of text; the limit is {limit}. Remove the oversized content and upload again.",
        "某个单元格包含 {size} 的文本，上限为 {limit}。请删除过大的内容后重新上传。"),
    "ingest.error.no_sheet": ("There is no sheet “{sheet}”. Sheets in this workbook: {sheets}.",
                              "不存在工作表“{sheet}”。该工作簿中的工作表：{sheets}。"),
    "ingest.error.no_table": (
        "No sheet of this workbook holds a table (a header row and data rows). Sheets: {sheets}.",
        "该工作簿中没有任何工作表包含表格（表头行和数据行）。工作表：{sheets}。"),
    "ingest.error.unreadable": ("The file could not be read as a table ({detail}).",
                                "无法将该文件读取为表格（{detail}）。"),
    "ingest.error.disk_full": (
        "The disk holding the workspace is full, so the file could not be loaded. Nothing was changed; free "
        "some space and try again.",
        "工作区所在的磁盘已满，无法导入该文件。工作区未做任何更改；请释放一些空间后重试。"),
    "ingest.error.read_only": (
        "The workspace is on a read-only disk or folder, so the file could not be loaded. Nothing was changed.",
        "工作区位于只读（read-only）的磁盘或文件夹中，无法导入该文件。工作区未做任何更改。"),
    "ingest.error.out_of_memory": (
        "There was not enough memory to read this file. Close other work or split the file, and try again.",
        "内存不足，无法读取该文件。请关闭其他任务或拆分文件后重试。"),
    "ingest.error.no_rows": ("The file has a header but no data rows.", "文件只有表头，没有数据行。"),
    # Mapping problems.
    "ingest.error.unknown_kind": ("“{kind}” is not a table Polaris knows. Choose one of: {kinds}.",
                                  "“{kind}”不是 Polaris 支持的数据表。请从以下选择：{kinds}。"),
    "ingest.error.bad_target": ("“{target}” is not a column this table can hold. Choose another column or keep it as an extra.",
                                "“{target}”不是该数据表的可用列。请选择其他列，或作为附加列保留。"),
    "ingest.error.duplicate_target": (
        "is mapped to {target}, which column “{other}” already fills. Map only one column to {target}.",
        "被映射到 {target}，但列“{other}”已映射到它。每个目标列只能映射一列。"),
    "ingest.error.unknown_source": ("The mapping names columns that are not in the file: {columns}.",
                                    "映射中包含文件里不存在的列：{columns}。"),
    "ingest.error.two_keys": (
        "Two columns are mapped as the customer key. Keep one as the key and the other as an extra column.",
        "有两列被映射为客户标识。请保留一列作为标识，另一列作为附加列。"),
    "ingest.error.missing_column": (
        "A {kind} file needs a column for {column}. Map one of the file's columns to it.",
        "{kind}文件需要一列“{column}”。请将文件中的某一列映射到它。"),
    "ingest.error.missing_amount": (
        "A subscriptions file needs the revenue of each subscription: map a column to MRR or ARR, or map Amount "
        "together with the billing interval.",
        "订阅文件需要每个订阅的收入：请将某列映射为 MRR 或 ARR，或者同时映射金额和计费周期。"),
    "ingest.error.wide_and_long": (
        "The file is mapped both as one column per month and with Month/MRR columns. Use one layout.",
        "该文件同时被映射为“每月一列”和“月份/MRR 列”两种格式。请只使用一种。"),
    "ingest.error.date_order": ("“{value}” is not a date order; use dmy (day first) or mdy (month first).",
                                "“{value}”不是有效的日期顺序；请使用 dmy（日在前）或 mdy（月在前）。"),
    "ingest.error.mode": ("“{mode}” is not a load mode; use replace or append.",
                          "“{mode}”不是有效的导入方式；请使用 replace（替换）或 append（追加）。"),
    "ingest.error.write_failed": (
        "Writing the table failed ({detail}). Nothing was changed in the workspace.",
        "写入数据表失败（{detail}）。工作区未做任何更改。"),
    # Value checks.
    "ingest.error.required_empty": (
        "this required value is empty. Fill it in or remove these rows.",
        "这个必填值为空。请补全，或删除这些行。"),
    "ingest.error.negative_mrr": (
        "revenue is negative. MRR cannot be below zero; record credits and refunds separately.",
        "收入为负数。MRR 不能小于零；退款和抵扣请单独记录。"),
    "ingest.error.score_range": ("the NPS score is outside 0–10.", "NPS 评分不在 0–10 范围内。"),
    "ingest.error.duplicate_accounts": (
        "the same account ID appears more than once (e.g. {value}; duplicated IDs: {groups}). Each account "
        "must appear once.",
        "同一个客户ID出现了多次（例如 {value}；重复的ID：{groups} 个）。每个客户只能出现一次。"),
    "ingest.error.duplicate_mrr": (
        "the same customer and month appear more than once (e.g. {value}; duplicated customer-months: "
        "{groups}). Keep one MRR per customer per month.",
        "同一客户同一月份出现了多次（例如 {value}；重复的“客户-月份”：{groups} 组）。每个客户每月只能有一条 MRR。"),
    "ingest.error.append_duplicate_accounts": (
        "these account IDs are already loaded ({n} rows). Replace the accounts table instead of appending.",
        "这些客户ID已经导入（{n} 行）。请改为替换客户表，而不是追加。"),
    "ingest.error.append_duplicate_mrr": (
        "these customer-months are already loaded ({n} rows). Replace the MRR table instead of appending.",
        "这些“客户-月份”已经导入（{n} 行）。请改为替换 MRR 表，而不是追加。"),
    "ingest.warning.ragged_short": (
        "these rows have fewer values than the header's {n} columns; the missing values are left empty.",
        "这些行的值少于表头的 {n} 列；缺少的值按空值处理。"),
    "ingest.warning.unknown_account": (
        "no known account has this key (e.g. {keys}; rows affected: {n}). The rows are kept without an "
        "account; match them on the Data page.",
        "找不到对应的客户（例如 {keys}；涉及 {n} 行）。这些行会保留但不归属任何客户；可在“数据”页面进行匹配。"),
    "ingest.warning.date_order_default": (
        "these dates can be read day-first or month-first; they were read as {order}. Answer the question "
        "about the date order if that is wrong.",
        "这些日期既可以按“日在前”也可以按“月在前”解读；目前按 {order} 读取。如有误，请回答日期顺序的问题。"),
    "ingest.bad.date": ("cannot be read as a date (e.g. “{example}”; {n} in all). Use a form like 2024-01-31.",
                        "无法识别为日期（例如“{example}”，共 {n} 个）。请使用 2024-01-31 这样的格式。"),
    "ingest.bad.date.kept_empty": ("cannot be read as a date (e.g. “{example}”; {n} in all); left empty.",
                                   "无法识别为日期（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.month": ("cannot be read as a month (e.g. “{example}”; {n} in all). Use a form like 2024-01.",
                         "无法识别为月份（例如“{example}”，共 {n} 个）。请使用 2024-01 这样的格式。"),
    "ingest.bad.month.kept_empty": ("cannot be read as a month (e.g. “{example}”; {n} in all); left empty.",
                                    "无法识别为月份（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.number": ("is not a number (e.g. “{example}”; {n} in all). Use amounts like 4800 or $4,800.",
                          "不是数字（例如“{example}”，共 {n} 个）。请使用 4800 或 ¥4,800 这样的金额。"),
    "ingest.bad.number.kept_empty": ("is not a number (e.g. “{example}”; {n} in all); left empty.",
                                     "不是数字（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.score": ("is not a whole-number score (e.g. “{example}”; {n} in all). NPS scores are 0 to 10.",
                         "不是整数评分（例如“{example}”，共 {n} 个）。NPS 评分应为 0 到 10 的整数。"),
    "ingest.bad.score.kept_empty": ("is not a whole-number score (e.g. “{example}”; {n} in all); left empty.",
                                    "不是整数评分（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.bool": ("is not yes or no (e.g. “{example}”; {n} in all). Use yes/no, true/false, 1/0 or 是/否.",
                        "不是“是/否”（例如“{example}”，共 {n} 个）。请使用 是/否、yes/no、true/false 或 1/0。"),
    "ingest.bad.bool.kept_empty": ("is not yes or no (e.g. “{example}”; {n} in all); left empty.",
                                   "不是“是/否”（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.status": (
        "is not a status Polaris knows (e.g. “{example}”; {n} in all). Use active, churned or notice "
        "(正常 / 已流失 / 即将到期).",
        "不是可识别的状态（例如“{example}”，共 {n} 个）。请使用 正常 / 已流失 / 即将到期（active / churned / notice）。"),
    "ingest.bad.status.kept_empty": (
        "is not a status Polaris knows (e.g. “{example}”; {n} in all); left empty. Known: active, churned, "
        "notice (正常 / 已流失 / 即将到期).",
        "不是可识别的状态（例如“{example}”，共 {n} 个），按空值处理。可识别：正常 / 已流失 / 即将到期（active / churned / notice）。"),
    "ingest.bad.health": ("is not red, yellow or green (e.g. “{example}”; {n} in all).",
                          "不是红、黄、绿之一（例如“{example}”，共 {n} 个）。"),
    "ingest.bad.health.kept_empty": ("is not red, yellow or green (e.g. “{example}”; {n} in all); left empty.",
                                     "不是红、黄、绿之一（例如“{example}”，共 {n} 个），按空值处理。"),
    "ingest.bad.priority": ("is not a priority Polaris knows (e.g. “{example}”; {n} in all). Use Urgent, High, "
                            "Normal or Low.",
                            "不是可识别的优先级（例如“{example}”，共 {n} 个）。请使用 紧急、高、中、低。"),
    "ingest.bad.priority.kept_empty": (
        "is not a priority Polaris knows (e.g. “{example}”; {n} in all); its rank is left empty. Known: Urgent/P1, "
        "High/P2, Normal/P3, Low/P4.",
        "不是可识别的优先级（例如“{example}”，共 {n} 个），其等级按空值处理。可识别：紧急/P1、高/P2、中/P3、低/P4。"),
    "ingest.bad.satisfaction": ("is not a satisfaction rating (e.g. “{example}”; {n} in all).",
                                "不是可识别的满意度（例如“{example}”，共 {n} 个）。"),
    "ingest.bad.satisfaction.kept_empty": (
        "is not a satisfaction rating (e.g. “{example}”; {n} in all); left empty. Use a number, Good or Bad.",
        "不是可识别的满意度（例如“{example}”，共 {n} 个），按空值处理。请使用数字或 满意/不满意。"),
    "ingest.bad.interval": (
        "is not a billing interval Polaris knows (e.g. “{example}”; {n} in all). Use month, quarter or year "
        "(月/季/年).",
        "不是可识别的计费周期（例如“{example}”，共 {n} 个）。请使用 月、季、年（month / quarter / year）。"),
    "ingest.bad.interval.kept_empty": (
        "is not a billing interval Polaris knows (e.g. “{example}”; {n} in all).",
        "不是可识别的计费周期（例如“{example}”，共 {n} 个）。"),
    # Decisions made and questions asked.
    "ingest.note.date_order": ("dates read as {order}, as the values show (some parts are above 12).",
                               "日期按 {order} 读取，数据本身表明了这一点（有的部分大于 12）。"),
    "ingest.note.date_order_file": (
        "dates read as {order}, like column “{other}” of the same file, whose values show it.",
        "日期按 {order} 读取，与同一文件中的列“{other}”一致（该列数据表明了这一点）。"),
    "ingest.order.dmy": ("day/month/year", "日/月/年"),
    "ingest.order.mdy": ("month/day/year", "月/日/年"),
    "ingest.question.date_order": (
        "In {columns}, is a date like “{example}” day first or month first?",
        "在 {columns} 中，像“{example}”这样的日期是日在前还是月在前？"),
    "ingest.option.date_order.dmy": ("Day first (31/01/2024)", "日在前（31/01/2024）"),
    "ingest.option.date_order.mdy": ("Month first (01/31/2024)", "月在前（01/31/2024）"),
    # Progress.
    "ingest.progress.reading": ("Reading the file…", "正在读取文件…"),
    "ingest.progress.checking": ("Checking the values…", "正在检查数据…"),
    "ingest.progress.checked": ("Checked.", "检查完成。"),
    "ingest.progress.writing": ("Writing the table…", "正在写入数据表…"),
    "ingest.progress.recording": ("Recording the load…", "正在记录导入…"),
    "ingest.progress.done": ("Loaded.", "导入完成。"),
    # Mapping targets, as the mapping editor shows them.
    "ingest.target.extra": ("Keep as an extra column", "作为附加列保留"),
    "ingest.target.wide_month": ("MRR of {month}", "{month} 的 MRR"),
    "ingest.target.month": ("Month", "月份"),
    "ingest.target._source_key": ("Customer key from another system (matched to accounts)",
                                  "其他系统的客户标识（与客户表匹配）"),
    "ingest.target.account_id": ("Account ID", "客户ID"),
    "ingest.target.account_name": ("Account name", "客户名称"),
    "ingest.target.segment": ("Segment / tier", "客户层级"),
    "ingest.target.industry": ("Industry", "行业"),
    "ingest.target.region": ("Region", "地区"),
    "ingest.target.plan": ("Plan", "套餐"),
    "ingest.target.owner": ("Owner (CSM)", "负责人（客户成功经理）"),
    "ingest.target.start_date": ("Start date", "开始日期"),
    "ingest.target.renewal_date": ("Renewal date", "续约日期"),
    "ingest.target.churn_date": ("Churn date", "流失日期"),
    "ingest.target.status": ("Status", "状态"),
    "ingest.target.arr": ("ARR", "年度经常性收入（ARR）"),
    "ingest.target.mrr": ("MRR", "月度经常性收入（MRR）"),
    "ingest.target.seats": ("Seats", "席位数"),
    "ingest.target.manual_health": ("CSM health (red/yellow/green)", "CSM 健康度（红/黄/绿）"),
    "ingest.target.domain": ("Web domain", "域名"),
    "ingest.target.tenure_months": ("Tenure (months)", "合作时长（月）"),
    "ingest.target.subscription_id": ("Subscription ID", "订阅ID"),
    "ingest.target.end_date": ("End date", "结束日期"),
    "ingest.target.amount": ("Amount per unit and interval", "每单位每周期金额"),
    "ingest.target.quantity": ("Quantity", "数量"),
    "ingest.target.interval": ("Billing interval", "计费周期"),
    "ingest.target.interval_count": ("Intervals per bill", "每期周期数"),
    "ingest.target.is_trial": ("Trial flag", "是否试用"),
    "ingest.target.date": ("Date", "日期"),
    "ingest.target.active_users": ("Active users", "活跃用户数"),
    "ingest.target.events": ("Events", "事件数"),
    "ingest.target.feature": ("Feature", "功能"),
    "ingest.target.ticket_id": ("Ticket ID", "工单号"),
    "ingest.target.created_at": ("Created at", "创建时间"),
    "ingest.target.resolved_at": ("Resolved at", "解决时间"),
    "ingest.target.priority": ("Priority", "优先级"),
    "ingest.target.satisfaction": ("Satisfaction (CSAT)", "满意度（CSAT）"),
    "ingest.target.first_response_minutes": ("First response (minutes)", "首次响应时长（分钟）"),
    "ingest.target.score": ("NPS score (0–10)", "NPS 评分（0–10）"),
    "ingest.target.comment": ("Comment", "评论"),
    "ingest.target.respondent": ("Respondent", "受访者"),
    "ingest.target.goal": ("Goal", "目标"),
    "ingest.target.metric": ("Metric / unit", "指标/单位"),
    "ingest.target.baseline": ("Baseline", "基线"),
    "ingest.target.target": ("Target", "目标值"),
    "ingest.target.current": ("Current value", "当前值"),
    "ingest.target.due_date": ("Due date", "截止日期"),
    "ingest.error.merge_accounts_only": ("Only an accounts file can be merged into the accounts already loaded.",
                                         "只有客户表可以合并到已载入的客户中。"),
    "ingest.note.merged": ("Merged into the accounts already loaded: {merged} accounts matched and completed, {added} new accounts added.",
                           "已合并到已载入的客户中：匹配并补全 {merged} 个客户，新增 {added} 个客户。"),
}
