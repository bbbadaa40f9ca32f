"""Pseudonyms for private authors, handles for public accounts, mentions in text."""

from __future__ import annotations

from mediebild.privacy import PrivacyPolicy, normalise_handle, read_public_accounts, shipped_public_accounts

KEY = b"k" * 32


def test_private_authors_get_stable_keyed_pseudonyms():
    policy = PrivacyPolicy.build(KEY)
    one = policy.shown_author("x", "@anna_s")
    assert one.startswith("privatperson-") and one == policy.shown_author("x", "Anna_S")
    assert one != policy.shown_author("mastodon", "anna_s")  # another platform, another person
    assert one != PrivacyPolicy.build(b"other" * 8).shown_author("x", "anna_s")  # another database's key


def test_public_accounts_are_shown_as_they_are():
    policy = PrivacyPolicy.build(KEY, extra=["x:Lansstyrelsen_AB", "nacka_kommun"])
    assert policy.shown_author("x", "krisinformation") == "krisinformation"  # shipped
    assert policy.shown_author("x", "@Lansstyrelsen_AB") == "@Lansstyrelsen_AB"
    assert policy.shown_author("mastodon", "nacka_kommun") == "nacka_kommun"  # any platform
    assert policy.shown_author("mastodon", "Lansstyrelsen_AB").startswith("privatperson-")  # only on x


def test_mentions_of_private_accounts_are_masked_in_text():
    policy = PrivacyPolicy.build(KEY)
    text = policy.redact_mentions("@krisinformation @kalle_k såg du? mejla info@example.se. @anna@mastodon.nu", "x")
    assert "@krisinformation" in text and "kalle_k" not in text and "info@example.se" in text
    assert "anna@mastodon.nu" not in text and text.count("@privatperson-") == 2


def test_allow_list_files():
    assert "x:krisinformation" in shipped_public_accounts()
    assert read_public_accounts('accounts = ["@A"]\n[bluesky]\naccounts = ["b.bsky.social"]') == {"a", "bluesky:b.bsky.social"}
    assert normalise_handle("@Polisen_Sthlm") == "polisen_sthlm"
