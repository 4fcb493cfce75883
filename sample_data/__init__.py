"""The Polaris sample company: a seeded, fictional B2B SaaS customer base.

``generate()`` returns the canonical tables; ``export_files()`` writes them as the CSV
and Chinese-header XLSX exports committed in ``sample_data/output/``.
"""

from sample_data.generator import DEFAULT_SEED, export_files, generate, monthly_usage

__all__ = ["DEFAULT_SEED", "export_files", "generate", "monthly_usage"]
