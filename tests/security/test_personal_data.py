"""Personal data (issue 12, 等保 level 3 / 密评): the citizen's phone, ID number, e-mail and
contact address stored SM4-encrypted, compared by blind index, masked for every member of
staff in pages, API, the ledger, Open311 and logs, and shown whole only by the audited reveal."""
import io
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook
from rest_framework.test import APIClient

from complaints import routing, services, throttle
from complaints.models import Channel, Complaint
from tests.complaints import factories as f
from tests.factories import at
from workflow import crypto, sms
from workflow.models import SecurityEvent

PHONE, ID_NUMBER, EMAIL, ADDRESS = "13812340001", "510802199001011234", "zhang.san@example.com", "朝天区羊木镇XX村3组"
MASKED_PHONE, MASKED_ID = "138****0001", "5108**********1234"
PLAINTEXTS = (PHONE, ID_NUMBER, EMAIL, ADDRESS)
OTHER_KEY = "00112233445566778899aabbccddeeff"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def hotline_intake(operator, **fields) -> Complaint:
    data = {
        "title": f.SEED_PROBLEM["title"], "description": f.SEED_PROBLEM["description"], "hall": f.SEED_PROBLEM["hall"],
        "window": f.SEED_PROBLEM["window"], "answers": {"window_number": "3"}, "citizen_name": "张三", "citizen_phone": PHONE,
        "citizen_id_number": ID_NUMBER, "citizen_email": EMAIL, "citizen_address": ADDRESS, **fields,
    }
    complaint, _code = services.complaint_submit(actor=operator, channel=Channel.HOTLINE, kind="complaint", category=f.category(), **data)
    return complaint


def raw_rows_containing(*needles: str) -> dict[str, int]:
    """Every table of the database, read with raw SQL: which hold any of the needles, in how many rows."""
    found = {}
    qn = connection.ops.quote_name
    for table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {qn(table)}")
            rows = [" ".join(str(v) for v in row) for row in cursor.fetchall()]
        hits = sum(1 for row in rows if any(n in row for n in needles))
        if hits:
            found[table] = hits
    return found


# --- the cipher -------------------------------------------------------------------------------
def test_round_trip_with_a_key_id_a_random_nonce_and_an_integrity_tag():
    token = crypto.encrypt(PHONE, aad="citizen_phone")
    assert token.startswith("e1:test:") and PHONE not in token
    assert crypto.decrypt(token, aad="citizen_phone") == PHONE
    # the same value encrypts differently each time (random nonce), and Chinese text round-trips
    assert crypto.encrypt(PHONE, aad="citizen_phone") != token
    assert crypto.decrypt(crypto.encrypt(ADDRESS, aad="a"), aad="a") == ADDRESS


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt(PHONE, aad="citizen_phone")
    body = token.rsplit(":", 1)[1]
    for i in (0, len(body) // 2, len(body) - 2):  # the nonce, the ciphertext, the tag
        flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1:]
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(f"e1:test:{flipped}", aad="citizen_phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token[:-10], aad="citizen_phone")  # cut short
    # a ciphertext moved to another column does not decrypt there (the field's name is authenticated)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, aad="citizen_id_number")
    # plaintext in an encrypted column is refused, not passed through
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(PHONE, aad="citizen_phone")


def test_a_wrong_key_or_an_unknown_key_id_is_refused(settings):
    token = crypto.encrypt(PHONE, aad="citizen_phone")
    settings.FIELD_ENCRYPTION_KEY = OTHER_KEY  # same id, another key
    with pytest.raises(crypto.DecryptionError, match="integrity"):
        crypto.decrypt(token, aad="citizen_phone")
    settings.FIELD_ENCRYPTION_KEY_ID = "k2"  # the key of id "test" is no longer known
    with pytest.raises(crypto.DecryptionError, match="no key"):
        crypto.decrypt(token, aad="citizen_phone")


def test_keys_are_128_bit_hex_or_base64():
    assert crypto.parse_key("746573742d6f6e6c792d6e6f74736563") == b"test-only-notsec"
    assert crypto.parse_key("dGVzdC1vbmx5LW5vdHNlYw==") == b"test-only-notsec"
    assert crypto.parse_key("dGVzdC1vbmx5LW5vdHNlYw") == b"test-only-notsec"
    for bad in ("", "short", "00" * 15, "00" * 32, "not base64 at all!!"):
        with pytest.raises(ImproperlyConfigured):
            crypto.parse_key(bad)
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_old_keys(["no-colon"])
    assert set(crypto.parse_old_keys("k1:" + OTHER_KEY + ",k0:dGVzdC1vbmx5LW5vdHNlYw")) == {"k1", "k0"}


def test_the_encryption_and_index_keys_are_distinct_derivations():
    keys = crypto.keyring().current
    assert len({keys.enc, keys.mac[:16], keys.index[:16]}) == 3 and len(keys.enc) == 16


# --- at rest ----------------------------------------------------------------------------------
def test_no_plaintext_phone_or_id_number_anywhere_in_the_database(operator, dispatcher, realestate_dept, re_handler):
    # given a hotline complaint with every detail, dispatched, signed, revealed twice and split
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator)
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        complaint.refresh_from_db()
        services.dispatch_sign(actor=re_handler, dispatch=complaint.dispatches.get())
        services.complaint_reveal_contact(actor=re_handler, complaint=complaint, reason="需电话核实")
        services.complaint_reveal_contact(actor=dispatcher, complaint=complaint, reason="回访")
        other = hotline_intake(operator, title="另一件事")
        parts = services.complaint_split(actor=dispatcher, complaint=other, parts=[
            {"title": "第一件", "description": "第一件事的经过"}, {"title": "第二件", "description": "第二件事的经过"},
        ])
    assert Complaint.objects.get(pk=parts[1].pk).citizen_phone == PHONE  # the parts keep the citizen's details
    # then no table holds the phone, the ID number, the e-mail or the address in clear (history included)
    assert raw_rows_containing(*PLAINTEXTS) == {}
    # the columns hold ciphertext with the key id, and the phone's blind index
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone, citizen_id_number, citizen_email, citizen_address, citizen_phone_index FROM complaints_complaint")
        rows = cursor.fetchall()
    assert rows and all(all(v.startswith("e1:test:") for v in row[:4]) and len(row[4]) == 32 for row in rows)
    history_columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), "complaints_historicalcomplaint")}
    assert not history_columns & {"citizen_phone", "citizen_id_number", "citizen_email", "citizen_address", "citizen_phone_index"}
    # and the application reads them back whole
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.citizen_phone, stored.citizen_id_number, stored.citizen_email, stored.citizen_address) == PLAINTEXTS


def test_a_changed_value_in_the_database_is_refused_on_read(operator):
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone FROM complaints_complaint WHERE id = %s", [complaint.pk])
        [token] = cursor.fetchone()
        cursor.execute("UPDATE complaints_complaint SET citizen_id_number = %s WHERE id = %s", [token, complaint.pk])
    with pytest.raises(crypto.DecryptionError):
        Complaint.objects.get(pk=complaint.pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_complaint SET citizen_id_number = %s WHERE id = %s", [ID_NUMBER, complaint.pk])
    with pytest.raises(crypto.DecryptionError):
        Complaint.objects.get(pk=complaint.pk)


def test_encrypted_columns_cannot_be_searched_by_value(operator):
    with at(2026, 3, 2, 9):
        hotline_intake(operator)
    assert Complaint.objects.exclude(citizen_phone="").count() == 1
    with pytest.raises(FieldError):
        Complaint.objects.filter(citizen_phone=PHONE).count()
    with pytest.raises(FieldError):
        Complaint.objects.filter(citizen_phone__contains="138").count()


# --- the blind index: duplicates, throttling, the hotline's search ----------------------------
def test_duplicates_by_the_same_phone_are_found_through_the_blind_index(operator):
    with at(2026, 3, 2, 9):
        first = hotline_intake(operator, title="窗口甲", hall="", window="", address="甲地")
        second = hotline_intake(operator, title="窗口乙", hall="", window="", address="乙地", citizen_phone="+86 138-1234-0001")
        stranger = hotline_intake(operator, title="窗口丙", hall="", window="", address="丙地", citizen_phone="13812340002")
    assert first.citizen_phone_index == second.citizen_phone_index != stranger.citizen_phone_index
    assert [(c.pk, why) for c, why in routing.possible_duplicates(second)] == [(first.pk, "same_phone")]
    assert routing.possible_duplicates(stranger) == []


def test_the_phone_throttle_counts_one_phone_however_written_and_keeps_it_out_of_the_cache(rf):
    request = rf.post("/", REMOTE_ADDR="10.0.0.1")
    keys = {key for key, _limit in throttle._keys(request, "submit", PHONE)}
    assert keys == {key for key, _limit in throttle._keys(request, "submit", "+86 138 1234 0001")}
    assert all(PHONE not in key for key in keys)
    assert all("TS2026000001" not in key for key, _ in throttle._keys(request, "lookup", "TS2026000001"))


def test_the_hotline_finds_a_callers_complaints_by_phone_a_department_does_not(client, operator, dispatcher, realestate_dept, re_handler):
    from complaints import selectors

    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator)
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
    assert [c.pk for c in selectors.complaint_list(user=dispatcher, filters={"q": "138 1234 0001"})] == [complaint.pk]
    assert list(selectors.complaint_list(user=re_handler, filters={"q": PHONE})) == []


def test_rotation_old_rows_still_match_and_reencrypt_moves_them_to_the_new_key(settings, operator):
    with at(2026, 3, 2, 9):
        old = hotline_intake(operator, address="甲地", hall="", window="")
    # when the key is rotated: the old one kept to decrypt
    settings.FIELD_ENCRYPTION_OLD_KEYS = ["test:" + django_settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_KEY_ID = OTHER_KEY, "k2"
    with at(2026, 3, 2, 10):
        new = hotline_intake(operator, address="乙地", hall="", window="")
    # then old rows read, and the same phone is still found under either key
    assert Complaint.objects.get(pk=old.pk).citizen_phone == PHONE
    assert [c.pk for c, _why in routing.possible_duplicates(new)] == [old.pk]
    out = io.StringIO()
    call_command("reencrypt_personal_data", "--check", stdout=out)
    assert "test: 1" in out.getvalue() and "k2: 1" in out.getvalue()
    # when reencrypt_personal_data runs
    out = io.StringIO()
    call_command("reencrypt_personal_data", stdout=out)
    assert "1 rows re-encrypted under k2" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT citizen_phone, citizen_id_number, citizen_phone_index FROM complaints_complaint ORDER BY id")
        rows = cursor.fetchall()
    assert all(r[0].startswith("e1:k2:") and r[1].startswith("e1:k2:") for r in rows) and rows[0][2] == rows[1][2]
    # and without the old key everything still reads and matches
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    assert Complaint.objects.get(pk=old.pk).citizen_id_number == ID_NUMBER
    assert [c.pk for c, _why in routing.possible_duplicates(new)] == [old.pk]


# --- masked by default for every member of staff --------------------------------------------
STAFF = ("operator", "dispatcher", "supervisor", "re_handler", "re_leader")


def _get(client, path):
    response = client.get(path)
    return response.status_code, response.content.decode() if not response.get("Content-Type", "").startswith("application/vnd") else ""


def test_every_staff_role_sees_the_contact_masked_in_pages_api_and_ledger(client, request, operator, dispatcher, realestate_dept, re_handler, re_leader, supervisor):
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator, description="请回电" + PHONE + "，身份证" + ID_NUMBER)
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        for name in STAFF:
            user = request.getfixturevalue(name)
            client.force_login(user)
            api = APIClient()
            api.force_authenticate(user)
            pages = [f"/complaints/{complaint.pk}/", "/complaints/", "/complaints/ledger/", f"/complaints/?q={complaint.number}"]
            for path in pages:
                status, body = _get(client, path)
                assert status in (200, 403), (name, path, status)
                assert not any(p in body for p in PLAINTEXTS), (name, path)
            detail = client.get(f"/complaints/{complaint.pk}/").content.decode()
            assert MASKED_PHONE in detail and MASKED_ID in detail, name
            for path in (f"/api/v1/complaints/{complaint.pk}/", "/api/v1/complaints/", "/api/v1/complaint-tasks/"):
                response = api.get(path)
                assert response.status_code == 200 and not any(p in response.content.decode() for p in PLAINTEXTS), (name, path)
            contact = api.get(f"/api/v1/complaints/{complaint.pk}/").json()["contact"]
            assert contact["citizen_phone"] == MASKED_PHONE and contact["citizen_id_number"] == MASKED_ID and contact["masked"] is True
            assert contact["citizen_email"] == "z***@example.com" and contact["citizen_address"] == "朝天区***"
            # the Excel ledger, for whoever may export it
            response = client.post("/complaints/ledger.xlsx")
            if response.status_code == 200:
                sheet = load_workbook(io.BytesIO(response.content)).active
                cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
                assert complaint.number in cells and not any(p in cells for p in PLAINTEXTS), name
    # the dispatcher's triage card too
    client.force_login(dispatcher)
    with at(2026, 3, 2, 9):
        fresh = hotline_intake(operator, title="待派单的一件")
        body = client.get(f"/complaints/{fresh.pk}/triage/").content.decode()
    assert MASKED_PHONE in body and PHONE not in body


def test_open311_never_answers_with_the_contact(client, operator):
    from complaints import open311

    _row, key = open311.open311_key_issue(name="城市随手拍")
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator, description="电话" + PHONE)
        for path in (f"/open311/v2/requests/{complaint.number}.json", "/open311/v2/requests.json", "/open311/v2/servicerequestupdates.json",
                     f"/open311/v2/requests/{complaint.number}.xml"):
            response = client.get(path, {"api_key": key})
            assert response.status_code == 200, path
            assert not any(p in response.content.decode() for p in PLAINTEXTS), path


def test_text_messages_are_logged_with_the_phone_masked(settings, caplog):
    settings.SMS_BACKEND = "workflow.sms.ConsoleBackend"
    with caplog.at_level(logging.INFO):
        sms.send(phone=PHONE, text="【12345】您的诉求已受理。")
    assert MASKED_PHONE in caplog.text and PHONE not in caplog.text


# --- the reveal ----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["dispatcher", "operator", "re_handler", "supervisor"])
def test_the_reveal_is_audited_and_then_shows_the_whole_contact(client, request, who, operator, dispatcher, realestate_dept):
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator)
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        user = request.getfixturevalue(who)
        client.force_login(user)
        assert SecurityEvent.objects.filter(kind="personal_data_revealed").count() == 0
        response = client.post(f"/complaints/{complaint.pk}/reveal/", {"reason": "电话回访"})
    page = response.content.decode()
    assert response.status_code == 200 and all(p in page for p in PLAINTEXTS) and f"tel:{PHONE}" in page
    assert "no-store" in response["Cache-Control"]
    row = SecurityEvent.objects.get(kind="personal_data_revealed")
    assert row.user == user and row.object_id == str(complaint.pk)
    assert row.detail["fields"] == ["citizen_address", "citizen_email", "citizen_id_number", "citizen_name", "citizen_phone"]
    assert row.detail["reason"] == "电话回访"
    # the case page stays masked, and nothing of it reached the trail
    assert PHONE not in client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert raw_rows_containing(*PLAINTEXTS) == {}


def test_the_reveal_is_refused_to_another_department(client, operator, dispatcher, realestate_dept, other_handler):
    with at(2026, 3, 2, 9):
        complaint = hotline_intake(operator)
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
    client.force_login(other_handler)
    assert client.post(f"/complaints/{complaint.pk}/reveal/", {"reason": "x"}).status_code == 403
    assert not SecurityEvent.objects.filter(kind="personal_data_revealed").exists()


# --- the citizen's own flow and the text messages still work ------------------------------------
def test_the_citizen_is_texted_at_the_number_they_gave(operator, django_capture_on_commit_callbacks):
    sms.outbox.clear()
    with at(2026, 3, 2, 9), django_capture_on_commit_callbacks(execute=True):
        hotline_intake(operator)
    assert sms.outbox and sms.outbox[-1].phone == PHONE


# --- configuration ---------------------------------------------------------------------------
def _production(extra: dict):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "cases.example.org", "DJANGO_ENV_FILE": "/nonexistent/.env", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **extra,
    }
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True)


def test_production_refuses_to_start_without_a_well_formed_key():
    missing = _production({})
    assert missing.returncode != 0 and "ImproperlyConfigured" in missing.stderr and "FIELD_ENCRYPTION_KEY" in missing.stderr
    blank = _production({"FIELD_ENCRYPTION_KEY": ""})
    assert blank.returncode != 0 and "FIELD_ENCRYPTION_KEY" in blank.stderr
    short = _production({"FIELD_ENCRYPTION_KEY": "abcdef"})
    assert short.returncode != 0 and "128-bit" in short.stderr
    good = _production({"FIELD_ENCRYPTION_KEY": OTHER_KEY})
    assert good.returncode == 0, good.stderr



# --- the migration of the rows stored before ---------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_rows_already_stored_and_drops_them_from_history():
    from django.db.migrations.executor import MigrationExecutor

    before = [("complaints", "0003_task_supervision_state")]
    # The app's newest migration, whatever comes after the encryption: the test leaves the
    # schema as every later test expects it.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("complaints")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = MigrationExecutor(connection).loader.project_state(before).apps
    Category = old_apps.get_model("complaints", "Category")
    OldComplaint = old_apps.get_model("complaints", "Complaint")
    category = Category.objects.create(code="old_cat", name="旧类别")
    common = {"query_code_hash": "x", "category": category, "title": "旧工单", "description": "旧的经过"}
    OldComplaint.objects.create(number="TS2025000001", citizen_phone=PHONE, citizen_id_number=ID_NUMBER, citizen_email=EMAIL, citizen_address=ADDRESS, **common)
    OldComplaint.objects.create(number="TS2025000002", citizen_phone="", **common)
    from django.utils import timezone

    old_apps.get_model("complaints", "HistoricalComplaint").objects.create(
        id=1, number="TS2025000001", citizen_phone=PHONE, citizen_id_number=ID_NUMBER, citizen_email=EMAIL, citizen_address=ADDRESS,
        history_date=timezone.now(), history_type="+", category_id=category.pk, title="旧工单", description="旧的经过",
    )
    assert raw_rows_containing(PHONE, ID_NUMBER) == {"complaints_complaint": 1, "complaints_historicalcomplaint": 1}
    try:
        # when migrating
        MigrationExecutor(connection).migrate(latest)
        # then nothing is left in clear, and the application reads the values back
        assert raw_rows_containing(*PLAINTEXTS) == {}
        first = Complaint.objects.get(number="TS2025000001")
        assert (first.citizen_phone, first.citizen_id_number, first.citizen_email, first.citizen_address) == PLAINTEXTS
        assert first.citizen_phone_index == crypto.blind_index(PHONE) and Complaint.objects.get(number="TS2025000002").citizen_phone_index == ""
        # and migrating back decrypts (the historical rows' details are gone for good)
        MigrationExecutor(connection).migrate([("complaints", "0004_personal_data_encrypted")])
        MigrationExecutor(connection).migrate(latest)  # running it again changes nothing already encrypted
        assert Complaint.objects.get(number="TS2025000001").citizen_phone == PHONE
    finally:
        MigrationExecutor(connection).migrate(latest)


def test_the_system_check_refuses_a_missing_key(settings):
    from workflow.fields import personal_data_encryption_check

    assert personal_data_encryption_check() == []
    settings.FIELD_ENCRYPTION_KEY = ""
    [problem] = personal_data_encryption_check()
    assert problem.id == "workflow.E202" and "FIELD_ENCRYPTION_KEY" in problem.msg
