"""Messages of the input limits (cs_metrics/limits.py)."""

MESSAGES = {
    "limits.bytes": ("{n} bytes", "{n} 字节"),
    "limits.bad_setting": (
        "The setting {name}={value!r} must be a positive number (a whole number for rows and columns); "
        "fix it in the server's environment.",
        "设置 {name}={value!r} 必须是正数（行数和列数须为整数），请在服务器环境变量中修改。"),
    "limits.file_too_large": (
        "{file} is {size}; files up to {limit} can be loaded. Split the file or export fewer columns or months.",
        "{file} 大小为 {size}，最多可载入 {limit} 的文件。请拆分文件，或导出更少的列或月份。"),
    "limits.too_many_rows": (
        "{file} has {rows} data rows; up to {limit} can be loaded from one file. Split the file.",
        "{file} 有 {rows} 行数据，单个文件最多可载入 {limit} 行。请拆分文件。"),
    "limits.rows_estimated": (
        "{file} has about {rows} data rows; up to {limit} can be loaded from one file. Split the file.",
        "{file} 约有 {rows} 行数据，单个文件最多可载入 {limit} 行。请拆分文件。"),
    "limits.too_many_columns": (
        "{file} has {n} columns; up to {limit} can be read. Export only the columns you need.",
        "{file} 有 {n} 列，最多可读取 {limit} 列。请只导出需要的列。"),
}
