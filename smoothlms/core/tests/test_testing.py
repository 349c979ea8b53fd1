"""core.testing.check_lock_order on statements as each backend logs them: the right order passes,
and every wrong one fails, whatever database the suite runs on (no database needed)."""

import pytest

from smoothlms.core.testing import check_lock_order

LOCK_PG = 'SELECT "catalog_batch"."id" FROM "catalog_batch" WHERE "catalog_batch"."id" = {} LIMIT 21 FOR NO KEY UPDATE'
LOCK_PLAIN_PG = 'SELECT "catalog_batch"."id" FROM "catalog_batch" WHERE "catalog_batch"."id" = {} LIMIT 21 FOR UPDATE'
LOCK_MARIADB = "SELECT `catalog_batch`.`id` FROM `catalog_batch` WHERE `catalog_batch`.`id` = {} LIMIT 21 FOR UPDATE"
READ_SQLITE = 'SELECT "catalog_batch"."id" FROM "catalog_batch" WHERE "catalog_batch"."id" = {} LIMIT 21'
SEATS = 'UPDATE "catalog_batch" SET "seats_taken" = ("catalog_batch"."seats_taken" + 1) WHERE "catalog_batch"."id" = {}'
INSERT = 'INSERT INTO "enrollment_batchenrollment" ("batch_id", "member_id") VALUES ({}, 7)'
INSERT_MARIADB = "INSERT INTO `enrollment_batchenrollment` (`batch_id`, `member_id`) VALUES ({}, 7)"
READ_USER = 'SELECT "people_user"."id" FROM "people_user" WHERE "people_user"."email" = \'a@example.com\''


def check(statements, vendor, pks=(1,), in_transaction=False):
    check_lock_order(
        statements,
        vendor=vendor,
        lock_table="catalog_batch",
        write_table="enrollment_batchenrollment",
        pks=pks,
        in_transaction=in_transaction,
    )


@pytest.mark.parametrize(
    ("vendor", "lock", "insert"), [("postgresql", LOCK_PG, INSERT), ("mysql", LOCK_MARIADB, INSERT_MARIADB)]
)
def test_row_locks_before_the_write_pass(vendor, lock, insert):
    check(["BEGIN", READ_USER, lock.format(1), SEATS.format(1), insert.format(1), "COMMIT"], vendor)
    check([READ_USER, lock.format(1), insert.format(1)], vendor, in_transaction=True)  # in the test's transaction
    check(["BEGIN", lock.format(1), lock.format(2), insert.format(2), lock.format(1), "COMMIT"], vendor, pks=(2, 1))


@pytest.mark.parametrize(
    ("vendor", "lock", "insert"), [("postgresql", LOCK_PG, INSERT), ("mysql", LOCK_MARIADB, INSERT_MARIADB)]
)
@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (["BEGIN", "{insert1}", "{lock1}", "COMMIT"], "first locked after a write"),
        # the seat UPDATE is no lock:
        (["BEGIN", "{seats1}", "{lock1}", "{insert1}", "COMMIT"], "first locked after a write"),
        (["BEGIN", "{seats1}", "{insert1}", "COMMIT"], "was locked"),
        (["BEGIN", "{lock2}", "{lock1}", "{insert1}", "COMMIT"], "not by pk"),
        (["BEGIN", "{lock2}", "{insert1}", "COMMIT"], "expected [1]"),
        (
            ["BEGIN", "{lock1}", "{insert1}", "COMMIT", "{insert1}"],
            "was locked",
        ),  # an autocommit write after the commit
        (["BEGIN", "{lock1}", "COMMIT"], "nothing was written"),
    ],
)
def test_a_wrong_order_fails(vendor, lock, insert, wrong, message):
    parts = {"insert1": insert.format(1), "lock1": lock.format(1), "lock2": lock.format(2), "seats1": SEATS.format(1)}
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check([sql.format(**parts) for sql in wrong], vendor)


def test_postgresql_needs_the_no_key_lock():
    with pytest.raises(AssertionError, match="was locked"):
        check(["BEGIN", LOCK_PLAIN_PG.format(1), INSERT.format(1), "COMMIT"], "postgresql")


def test_sqlite_passes_an_immediate_transaction_that_reads_the_cohort_before_writing():
    check(["BEGIN IMMEDIATE", READ_USER, READ_SQLITE.format(1), SEATS.format(1), INSERT.format(1), "COMMIT"], "sqlite")
    check(["BEGIN EXCLUSIVE", READ_SQLITE.format(1), INSERT.format(1), "COMMIT"], "sqlite")


def test_sqlite_passes_a_deferred_transaction_whose_first_statement_takes_the_seat():
    check(["BEGIN", SEATS.format(1), READ_SQLITE.format(1), INSERT.format(1), "COMMIT"], "sqlite")


@pytest.mark.parametrize(
    ("wrong", "in_transaction", "message"),
    [
        (["BEGIN", READ_SQLITE.format(1), INSERT.format(1), "COMMIT"], False, "write lock"),  # deferred, reads first
        (
            ["BEGIN DEFERRED", READ_USER, SEATS.format(1), READ_SQLITE.format(1), INSERT.format(1), "COMMIT"],
            False,
            "write lock",
        ),
        (["BEGIN IMMEDIATE", INSERT.format(1), READ_SQLITE.format(1), "COMMIT"], False, "first locked after a write"),
        (["BEGIN IMMEDIATE", SEATS.format(1), INSERT.format(1), "COMMIT"], False, "was locked"),
        (
            ["BEGIN IMMEDIATE", READ_SQLITE.format(2), READ_SQLITE.format(1), INSERT.format(1), "COMMIT"],
            False,
            "not by pk",
        ),
        ([READ_SQLITE.format(1), INSERT.format(1)], True, "transaction=True"),  # its BEGIN is not seen
    ],
)
def test_sqlite_fails_a_transaction_that_does_not_hold_the_write_lock_first(wrong, in_transaction, message):
    with pytest.raises(AssertionError, match=message):
        check(wrong, "sqlite", in_transaction=in_transaction)
