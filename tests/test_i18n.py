"""Every message exists in both languages, once; the helper formats and falls back visibly."""

import re
import string

from cs_metrics import i18n


def test_no_key_defined_twice():
    assert i18n.duplicate_keys() == []


def test_every_message_has_english_and_chinese():
    missing = [k for k, (en, zh) in i18n.catalogue().items() if not en.strip() or not zh.strip()]
    assert missing == []


def test_chinese_text_is_actually_chinese_where_english_is_prose():
    # A Chinese entry that is a copy of a multi-word English sentence is an untranslated string.
    copied = [k for k, (en, zh) in i18n.catalogue().items()
              if en == zh and len(re.findall(r"[A-Za-z]{3,}", en)) >= 3]
    assert copied == []


def test_placeholders_match_between_languages():
    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    mismatched = [k for k, (en, zh) in i18n.catalogue().items() if fields(en) != fields(zh)]
    assert mismatched == []


def test_t_formats_and_switches_language():
    assert i18n.t("sidebar.rows", "en", rows="1,000") == "1,000 rows"
    assert i18n.t("sidebar.rows", "zh", rows="1,000") == "1,000 行"
    assert i18n.t("common.na", "zh-CN") == "不可用"


def test_unknown_key_is_returned_visibly():
    assert i18n.t("no.such.key", "zh") == "no.such.key"
