"""Account matching: rules, coverage report, review page."""

MESSAGES = {
    "matching.title": ("Account matching", "客户匹配"),
    "matching.question": ("Which rows belong to which customer?", "每一行数据属于哪个客户？"),
    "matching.intro": (
        "Each system keys a customer its own way (CRM ID, billing customer ID, ERP code, "
        "company name). Rows are matched to accounts by: a saved decision, the account ID, "
        "an alias column of the accounts table, the normalised name, then the e-mail domain. "
        "A key that fits several accounts, or none, stays unmatched until you decide: "
        "unmatched rows are kept and counted, never dropped or guessed.",
        "不同系统用不同的键标识同一个客户（CRM ID、计费客户 ID、ERP 编码、公司名称）。"
        "数据行按以下顺序匹配到客户：已保存的决定、客户 ID、客户表中的别名列、规范化后的名称、"
        "邮箱域名。能对上多个客户或一个都对不上的键会保持未匹配，等待你的决定："
        "未匹配的行会保留并计数，不会被丢弃，也不会被猜测归属。"),
    "matching.rule.decision": ("saved decision", "已保存的决定"),
    "matching.rule.account_id": ("account ID", "客户ID"),
    "matching.rule.alias": ("alias column", "别名列"),
    "matching.rule.alias_column": ("alias column {column}", "别名列 {column}"),
    "matching.rule.name": ("same name", "名称相同"),
    "matching.rule.domain": ("e-mail domain", "邮箱域名"),
    "matching.rule.fuzzy": ("similar name", "名称相似"),
    "matching.rule.other": ("other", "其他"),
    "matching.report.summary": ("{kind}: {matched} of {rows} rows matched to an account ({share})",
                                "{kind}：{rows} 行中有 {matched} 行匹配到客户（{share}）"),
    "matching.report.by_rule": ("  by rule: {rules}", "  按规则：{rules}"),
    "matching.report.unmatched": ("  {rows} rows unmatched (kept, account empty); keys: {keys}",
                                  "  {rows} 行未匹配（已保留，客户为空）；键：{keys}"),
    "matching.report.more": ("and {n} more", "等另外 {n} 个"),
    "matching.report.proposals": (
        "  {n} candidate matches to review on the Account matching page",
        "  有 {n} 个候选匹配，请在“客户匹配”页面确认"),
    "matching.error.no_table": ("Table '{table}' does not exist in the workspace.",
                                "工作区中没有数据表“{table}”。"),
    "matching.error.no_accounts": (
        "Load an accounts table first: rows are matched to its accounts.",
        "请先导入客户表：数据行要匹配到其中的客户。"),
    "matching.error.columns": ("Table '{table}' lacks the column(s) {columns}.",
                               "数据表“{table}”缺少列：{columns}。"),
    "matching.error.alias_unknown": (
        "Not usable as alias columns (not in the accounts table, or the account ID/name itself): {columns}.",
        "以下列不能作为别名列（客户表中没有，或本身就是客户 ID/名称）：{columns}。"),
    "matching.error.decision": ("Unknown decision '{decision}': use 'confirmed' or 'rejected'.",
                                "未知的决定“{decision}”：请使用 confirmed 或 rejected。"),
    "matching.error.confirm_none": ("Pick an account to confirm for key '{source}'.",
                                    "请为键“{source}”选择要确认的客户。"),
    "matching.error.unknown_account": ("There is no account with ID '{account}'.",
                                       "没有客户 ID 为“{account}”的客户。"),
    "matching.no_tables": (
        "No table besides accounts is loaded yet, so there is nothing to match.",
        "除客户表外尚未导入其他数据表，暂无需要匹配的数据。"),
    "matching.coverage": ("Coverage by table", "各数据表的匹配情况"),
    "matching.coverage_help": (
        "Matched share = matched rows / rows. Each matched row is counted under the first "
        "rule that gives its account today; 'other' = no current rule explains it.",
        "匹配率 = 已匹配行数 / 总行数。每个已匹配的行计入当前能给出其客户的第一条规则；"
        "“其他”表示当前没有规则能解释它。"),
    "matching.all_matched": ("Every row of every loaded table is matched to an account.",
                             "所有已导入数据表的每一行都已匹配到客户。"),
    "matching.col.kind": ("Table", "数据表"),
    "matching.col.rows": ("Rows", "行数"),
    "matching.col.matched": ("Matched", "已匹配"),
    "matching.col.unmatched": ("Unmatched", "未匹配"),
    "matching.col.matched_share": ("Matched share", "匹配率"),
    "matching.col.by_decision": ("By decision", "按决定"),
    "matching.col.by_account_id": ("By account ID", "按客户ID"),
    "matching.col.by_alias": ("By alias", "按别名"),
    "matching.col.by_name": ("By name", "按名称"),
    "matching.col.by_domain": ("By domain", "按域名"),
    "matching.col.by_other": ("Other", "其他"),
    "matching.col.source_key": ("Key in the file", "文件中的键"),
    "matching.col.kinds": ("Found in", "出现在"),
    "matching.col.candidate": ("Candidate account", "候选客户"),
    "matching.col.decision": ("Decision", "决定"),
    "matching.col.decided_at": ("Decided at", "决定时间"),
    "matching.col.account": ("Account", "客户"),
    "matching.score_help": (
        "1.0 = the same name after normalising (case, width, punctuation, legal suffixes); "
        "otherwise the Jaro-Winkler similarity of the normalised names, on characters.",
        "1.0 表示规范化（大小写、全角半角、标点、公司后缀）后名称相同；"
        "否则为规范化名称按字符计算的 Jaro-Winkler 相似度。"),
    "matching.aliases": ("Alias columns", "别名列"),
    "matching.aliases_help": (
        "Columns of the accounts table that hold another system's key (billing customer ID, "
        "ERP code …). A file keyed by one of them joins to the right account. Until you "
        "choose, Polaris uses columns whose values are unique and appear in a loaded file.",
        "客户表中保存其他系统键值的列（计费客户 ID、ERP 编码等）。以这些键为准的文件会匹配到正确的客户。"
        "在你选择之前，Polaris 会使用取值唯一且出现在已导入文件中的列。"),
    "matching.aliases_auto": ("Detected automatically", "自动识别"),
    "matching.aliases_saved": ("Chosen by you", "由你选择"),
    "matching.aliases_save": ("Save alias columns and re-match", "保存别名列并重新匹配"),
    "matching.aliases_reset": ("Detect automatically again", "恢复自动识别"),
    "matching.aliases_none": ("The accounts table has no column that could hold another system's key.",
                              "客户表中没有可作为其他系统键值的列。"),
    "matching.rematched": ("Re-matched: {matched} of {rows} rows now matched.",
                           "已重新匹配：{rows} 行中有 {matched} 行已匹配。"),
    "matching.review": ("Unmatched keys", "未匹配的键"),
    "matching.review_help": (
        "Choose a candidate for each key, then decide. Confirm: the key's rows belong to that "
        "account, now and in later uploads. Reject: never propose that account for this key "
        "again. No account: the key belongs to no customer; its rows stay unmatched.",
        "为每个键选择候选客户，然后做出决定。确认：该键的行属于此客户（现在及以后的导入都适用）。"
        "拒绝：不再为该键推荐此客户。无客户：该键不属于任何客户，其行保持未匹配。"),
    "matching.action.confirm": ("Confirm", "确认"),
    "matching.action.reject": ("Reject", "拒绝"),
    "matching.action.no_account": ("No account", "无客户"),
    "matching.applied": ("Decision saved; {rows} rows re-matched.", "决定已保存；{rows} 行已重新匹配。"),
    "matching.bulk": ("Confirm all above a score", "批量确认高分匹配"),
    "matching.bulk_score": ("Minimum score", "最低相似度"),
    "matching.bulk_help": (
        "Confirms each key's best candidate when it scores at least this much and is not tied "
        "with another account.",
        "当某个键的最佳候选客户相似度不低于此值、且没有与其他客户并列时，确认该匹配。"),
    "matching.bulk_button": ("Confirm the best candidate of {n} key(s) scoring ≥ {score}",
                             "确认 {n} 个键的最佳候选（相似度 ≥ {score}）"),
    "matching.bulk_done": ("{rows} rows matched.", "{rows} 行已匹配。"),
    "matching.page": ("Page (of {pages})", "页码（共 {pages} 页）"),
    "matching.manual": ("Pick an account by hand", "手动选择客户"),
    "matching.manual_key": ("Key", "键"),
    "matching.manual_search": ("Search accounts by name or ID", "按名称或 ID 搜索客户"),
    "matching.manual_account": ("Account", "客户"),
    "matching.manual_confirm": ("Confirm this match", "确认此匹配"),
    "matching.manual_none": ("No account matches this search.", "没有符合搜索条件的客户。"),
    "matching.decisions": ("Saved decisions", "已保存的决定"),
    "matching.decision.confirmed": ("confirmed", "已确认"),
    "matching.decision.rejected": ("rejected", "已拒绝"),
    "matching.all_tables": ("all tables", "所有数据表"),
    "matching.no_candidate": ("no candidate", "无候选"),
    "matching.undo": ("Remove a decision", "撤销决定"),
    "matching.undo_button": ("Remove", "撤销"),
    "matching.removed": ("Decision removed; {rows} rows re-matched.", "已撤销决定；{rows} 行已重新匹配。"),
}
