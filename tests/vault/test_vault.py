"""The vault: sealing binds a ciphertext to its place; keys come from the environment or a 0600
file; production never invents a key; a Secret never prints itself."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from app.settings import Environment, Settings
from app.vault import KeyRingError, SealContext, SealError, Secret, Vault, key_source_for
from app.vault.keyring import Key, KeyRing, KeySource, write_key_file
from app.vault.redaction import HANDLED, REDACTOR
from okta_sandbox.ids import api_token_value, client_secret_value, okta_id, resource_set_id

CTX = SealContext(table="sealed_secrets", column="ciphertext", row_id="row-1", purpose="okta-admin-token")


def _vault(key: Key | None = None, previous: tuple[Key, ...] = ()) -> Vault:
    key = key or Key.generate()
    return Vault(KeySource(env_key=key.encoded(), env_previous=",".join(k.encoded() for k in previous) or None,
                           key_file=None, create_file=False))


class TestSealing:
    def test_round_trip(self) -> None:
        vault = _vault()
        blob = vault.seal("00abcSSWS-token-value", CTX)
        assert vault.open(blob, CTX).reveal() == "00abcSSWS-token-value"

    def test_ciphertext_is_versioned_and_names_its_key(self) -> None:
        key = Key.generate()
        blob = _vault(key).seal("value", CTX)
        assert blob[0] == 1
        assert Vault.key_id_of(blob) == key.id_hex
        assert b"value" not in blob

    def test_same_plaintext_seals_differently_each_time(self) -> None:
        vault = _vault()
        assert vault.seal("value", CTX) != vault.seal("value", CTX)

    @pytest.mark.parametrize("field", ["table", "column", "row_id", "purpose"])
    def test_ciphertext_moved_elsewhere_does_not_open(self, field: str) -> None:
        vault = _vault()
        blob = vault.seal("value", CTX)
        moved = SealContext(**{**CTX.__dict__, field: "elsewhere"})
        with pytest.raises(SealError, match="does not belong here"):
            vault.open(blob, moved)

    def test_tampered_ciphertext_does_not_open(self) -> None:
        vault = _vault()
        blob = bytearray(vault.seal("value", CTX))
        blob[-1] ^= 1
        with pytest.raises(SealError):
            vault.open(bytes(blob), CTX)

    def test_unknown_version_is_refused(self) -> None:
        vault = _vault()
        blob = b"\x02" + vault.seal("value", CTX)[1:]
        with pytest.raises(SealError, match="known version"):
            vault.open(blob, CTX)

    def test_previous_key_still_opens_and_reseal_moves_to_primary(self) -> None:
        old, new = Key.generate(), Key.generate()
        blob = _vault(old).seal("value", CTX)
        vault = _vault(new, (old,))
        assert vault.open(blob, CTX).reveal() == "value"
        assert vault.needs_reseal(blob)
        resealed = vault.reseal(blob, CTX)
        assert Vault.key_id_of(resealed) == new.id_hex
        assert _vault(new).open(resealed, CTX).reveal() == "value"

    def test_key_not_in_ring_says_which(self) -> None:
        blob = _vault().seal("value", CTX)
        with pytest.raises(SealError, match="not in the key ring"):
            _vault().open(blob, CTX)


class TestSecretValue:
    def test_never_prints_itself(self) -> None:
        secret = Secret("canary-secret-value-1")
        percent = "%s" % (secret,)  # noqa: UP031 - the old formatting must hide it too
        for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", percent, str([secret])):
            assert "canary-secret-value-1" not in text
        assert secret.reveal() == "canary-secret-value-1"

    def test_cannot_be_pickled(self) -> None:
        with pytest.raises(TypeError):
            pickle.dumps(Secret("value-abcdef"))

    def test_compares_by_value(self) -> None:
        assert Secret("same-value") == Secret("same-value")
        assert Secret("same-value") != Secret("other-value")

    def test_redactor_masks_known_values_and_credential_shapes(self) -> None:
        Secret("canary-known-plaintext-77")
        text = REDACTOR.text("token canary-known-plaintext-77 and Authorization: SSWS 00abcdefghijklmnop "
                             "client_secret=abcd1234efgh password: hunter22222")
        assert "canary-known-plaintext-77" not in text
        assert "00abcdefghijklmnop" not in text
        assert "abcd1234efgh" not in text
        assert "hunter22222" not in text

    def test_redactor_leaves_a_sentence_s_words_after_token_or_secret(self) -> None:
        """The audit trail read "this token: *** you copied all of it" and "client secret: *** 'Drata
        - OIDC'": a plain word after a sentence's colon is not a credential; one with digits or
        symbols, or any after a password's key, still is."""
        assert REDACTOR.text("Okta does not accept this token: check you copied all of it") == \
            "Okta does not accept this token: check you copied all of it"
        assert REDACTOR.text("client ID and client secret: Found 'Drata - OIDC'") == \
            "client ID and client secret: Found 'Drata - OIDC'"
        assert REDACTOR.text("token: 00abcdefgh12") == "token: ***"
        assert REDACTOR.text("password: correcthorse") == "password: ***"
        assert REDACTOR.text("token:abcdefgh") == "token:***"

    def test_redactor_knows_the_shapes_of_okta_s_secrets_after_a_restart(self) -> None:
        """A person pastes an Okta API token, a client secret or an activation link into a note in a
        process that never handled it (restarted): its shape alone tells, and says what it was."""
        REDACTOR.forget_all()
        for _ in range(200):  # as the sandbox makes them, in Okta's shapes
            token, secret = api_token_value(), client_secret_value()
            assert REDACTOR.scrub(f"the token {token}, thanks") == ("the token ***, thanks", ("an Okta API token",))
            assert REDACTOR.scrub(f"secret ({secret}).") == ("secret (***).", ("an Okta client secret",))
        # An API service integration's secret is 40 characters (Okta's example).
        assert REDACTOR.text("DRUFXGF9XbLnS9k-Sla3x3POBiIxDreBCdZuFs5B") == "***"
        assert REDACTOR.scrub("open https://acme.okta.com/welcome/XE6wE17zmphl3KqAPFxO, or "
                              "https://acme.okta.com/tokens/XE6wE17zmphl3KqAPFxO/verify") == (
            "open https://acme.okta.com/welcome/***, or https://acme.okta.com/tokens/***/verify",
            ("an activation link",))
        assert REDACTOR.text("https://wizard.example/setup?token=Zx81kQ_abc") == "https://wizard.example/setup?token=***"
        jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMHUxIn0.c2lnbmF0dXJl"
        assert REDACTOR.scrub(f"access token {jwt}") == ("access token ***", ("an access token",))
        # A plaintext this process handled says its shape when it has one, else that the wizard handled it.
        Secret("canary-vault-value-3e1f")
        assert REDACTOR.scrub("canary-vault-value-3e1f").found == (HANDLED,)

    def test_redactor_leaves_okta_ids_digests_and_prose_readable(self) -> None:
        """Okta's object ids are 20 characters (a resource set's 21): "the app 0oa… was created" in a
        note stays as written, and so do hex digests (a commit, a SHA-256), a signing key's id, a
        long URL's words, and "basic" or "bearer" in a sentence (it read "The basic ***")."""
        REDACTOR.forget_all()
        ids = [okta_id(prefix) for prefix in ("00u", "00g", "0oa", "00o", "00T", "cr0", "irb", "ocs", "nzo")]
        kept = [*ids, resource_set_id(), "the app 0oa1b2c3d4e5f6g7h8i9j0 was created", "0oauj98mikme3r9p41d7",
                "commit 9e4e83d3bc437e18c11b98d4161599a0e95b821d",
                "1fea082a4f19cfad4299f21bd9fbb085dd598eb03095ea7d69abdfd7e02b6b59",
                "kid 48X-q9YWQ_p1aXo_HbPDTPbEncSYjFgiJEzhmK8Kq8I",
                "https://app.tango.us/app/workflow/Setup-Okta-Integration-in-Anzenna-via-Okta-Integration-Network-"
                "de0830961a114582b9a39bf6a0ecfe53",
                "POST /api/v1/users/00u1b2c3d4e5f6g7h8i9/lifecycle/activate?sendEmail=false",
                "The basic licence is enough; Bearer tokens expire; Basic Settings saved."]
        for text in kept:
            assert REDACTOR.scrub(text) == (text, ()), text
        assert REDACTOR.text("Authorization: Basic YWRtaW46cGFzcw==") == "Authorization: Basic ***"

    def test_redactor_masks_sensitive_keys_in_data(self) -> None:
        data = REDACTOR.data({"name": "x", "clientSecret": "s3cr3t-value", "nested": [{"password": "p"}]})
        assert data == {"name": "x", "clientSecret": "***", "nested": [{"password": "***"}]}


class TestKeySources:
    def test_development_creates_a_0600_key_file(self, tmp_path: Path) -> None:
        settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path, database_url="sqlite://")
        source = key_source_for(settings)
        path = tmp_path / "vault.key"
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert source.ring().primary == key_source_for(settings).ring().primary  # reused, not regenerated

    def test_key_file_readable_by_others_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "vault.key"
        write_key_file(path, KeyRing(Key.generate()))
        os.chmod(path, 0o644)
        settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path, database_url="sqlite://")
        with pytest.raises(KeyRingError, match="chmod 600"):
            key_source_for(settings)

    def test_production_refuses_to_start_without_a_key(self, tmp_path: Path) -> None:
        settings = Settings(environment=Environment.PRODUCTION, data_dir=tmp_path, database_url="sqlite://")
        with pytest.raises(KeyRingError, match="never generates a key"):
            key_source_for(settings)
        assert not (tmp_path / "vault.key").exists()

    @pytest.mark.parametrize("bad", ["change-me", "short", "A" * 43, "not base64 !!"])
    def test_production_refuses_a_fake_key(self, tmp_path: Path, bad: str) -> None:
        settings = Settings(environment=Environment.PRODUCTION, data_dir=tmp_path, database_url="sqlite://",
                            secret_key=bad)  # type: ignore[arg-type]
        with pytest.raises(KeyRingError, match="onboard generate-key"):
            key_source_for(settings)

    def test_production_accepts_a_real_key_from_the_environment(self, tmp_path: Path) -> None:
        key = Key.generate()
        settings = Settings(environment=Environment.PRODUCTION, data_dir=tmp_path, database_url="sqlite://",
                            secret_key=key.encoded())  # type: ignore[arg-type]
        assert key_source_for(settings).ring().primary == key

    def test_a_server_notices_a_rotated_key_file(self, tmp_path: Path) -> None:
        path = tmp_path / "vault.key"
        source = KeySource(env_key=None, env_previous=None, key_file=path, create_file=True)
        first = source.ring().primary
        newer = Key.generate()
        write_key_file(path, KeyRing(newer, (first,)))
        assert source.ring().primary == newer
