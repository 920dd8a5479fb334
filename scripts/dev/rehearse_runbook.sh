#!/usr/bin/env bash
# `make rehearse-runbook [ROWS=34000]`: docs/RUNBOOK.md, step by step, on a throwaway copy of
# production's situation: habit_tracker at 0001 holding ROWS legacy weeks (default 1000x the
# 34-row backup) and no Alembic bookkeeping. Each step is the runbook's own command; the
# rehearsal prints it, the last lines of what it printed and how long it took. It stops at the
# first step that fails. The runbook's "takes" figures come from this.
set -euo pipefail

ROWS=${ROWS:-34000}
PY=${PY:-.venv/bin/python}
MAKE_CMD=(make -s --no-print-directory)

url=$($PY -m scripts.dev.throwaway_pg up rehearsal)
trap '$PY -m scripts.dev.throwaway_pg down rehearsal >/dev/null' EXIT
export DATABASE_URL=$url

step() {  # step "what" command...
    local what=$1; shift
    local started output status
    started=$(date +%s%N)
    set +e
    output=$("$@" 2>&1)
    status=$?
    set -e
    local tenths=$(( ($(date +%s%N) - started) / 100000000 ))
    printf '\n== %s\n$ %s   (%d.%d s, exit %d)\n' "$what" "$*" $((tenths / 10)) $((tenths % 10)) "$status"
    printf '%s\n' "$output" | { grep -v '^INFO  \[alembic' || true; } | tail -n "${TAIL:-6}" | sed 's/^/    /'
    if [ "$status" -ne 0 ]; then
        echo "rehearsal stopped: the step failed" >&2
        exit 1
    fi
}

echo "rehearsal database: $url; $ROWS legacy weeks"
# Production today: the legacy table, its rows, no alembic_version.
$PY -m scripts.commands.migrate upgrade 0001_legacy_baseline >/dev/null 2>&1
$PY -m scripts.commands.seed_legacy --rows "$ROWS" --seed 1 --dirty-share 0.01 >/dev/null
psql -q "$url" -c "SET client_min_messages = warning" -c "DROP TABLE alembic_version" -c "DROP SCHEMA IF EXISTS alembic CASCADE"

step "1. stamp the existing database" "${MAKE_CMD[@]}" stamp REV=0001_legacy_baseline
TAIL=3 step "   verify" "${MAKE_CMD[@]}" verify TARGET=0001_legacy_baseline
for rev in 0002_shadow_tables 0003_shadow_indexes 0004_shadow_rls_policies; do
    step "2. upgrade to $rev" "${MAKE_CMD[@]}" upgrade TO=$rev
    TAIL=2 step "   verify" "${MAKE_CMD[@]}" verify TARGET=$rev
done
step "3. preflight before validation" "${MAKE_CMD[@]}" preflight
for rev in 0005_validate_phase0_constraints 0006_validate_other_constraints 0007_idempotency_log \
           0008_idempotency_cleanup 0009_dual_write_trigger_phase0 0010_legacy_mapping 0011_sync_state; do
    step "4. upgrade to $rev" "${MAKE_CMD[@]}" upgrade TO=$rev
    TAIL=2 step "   verify" "${MAKE_CMD[@]}" verify TARGET=$rev
done
step "5. backfill" "${MAKE_CMD[@]}" backfill BATCH=1000
step "6. drift" "${MAKE_CMD[@]}" drift
for rev in 0012_dual_write_trigger_sync 0013_dual_write_sync_queue; do
    step "7. enable the sync trigger: upgrade to $rev" "${MAKE_CMD[@]}" upgrade TO=$rev
    TAIL=2 step "   verify" "${MAKE_CMD[@]}" verify TARGET=$rev
done
step "   drain what was queued meanwhile" "${MAKE_CMD[@]}" sync-drain
step "8. the endpoint's keys, per user" "${MAKE_CMD[@]}" upgrade TO=0014_idempotency_key_per_user
step "9. RLS policies for Phase 2's reads" "${MAKE_CMD[@]}" upgrade TO=0015_rls_planner_friendly
step "10. the lighter row sync" "${MAKE_CMD[@]}" upgrade TO=0016_lighter_row_sync
step "11. the row sync's plans, made once per session" "${MAKE_CMD[@]}" upgrade TO=0017_row_sync_generic_plans
step "12. the endpoint's function" "${MAKE_CMD[@]}" upgrade TO=0018_dual_write_functions
TAIL=4 step "   the endpoint: one call of each operation (make serve runs it for the app)" \
    $PY -m scripts.demo.demo_endpoint
step "13. close what the API can reach" "${MAKE_CMD[@]}" upgrade TO=0019_api_privileges
TAIL=2 step "   verify" "${MAKE_CMD[@]}" verify TARGET=0019_api_privileges
step "14. TRUNCATE of the legacy table refused" "${MAKE_CMD[@]}" upgrade TO=0020_legacy_truncate_guard
step "15. the drain and the backfill lock before they read" "${MAKE_CMD[@]}" upgrade TO=0021_drain_locks_before_reading
step "16. the row sync locks before it reads" "${MAKE_CMD[@]}" upgrade TO=0022_row_sync_locks_first
step "17. every filled day placed on its own date" "${MAKE_CMD[@]}" upgrade TO=0023_place_days_by_date
TAIL=3 step "   backfill: the stranded rows placed" "${MAKE_CMD[@]}" backfill
step "18. operators' decisions on what is left" "${MAKE_CMD[@]}" upgrade TO=0024_quarantine_decisions
TAIL=6 step "   quarantine" "${MAKE_CMD[@]}" quarantine
step "19. the policies fixed before Phase 2 enforces them" "${MAKE_CMD[@]}" upgrade TO=0025_policies_own_children
step "20. the incremental drift check sees the conflicts" "${MAKE_CMD[@]}" upgrade TO=0026_placed_conflicts_hash
TAIL=3 step "   backfill: the conflicts hashed" "${MAKE_CMD[@]}" backfill
# The gate wants nothing stranded: here every unresolved row is discarded (archived), where
# production decides each with its family (make quarantine-resolve ... ACTION=assign OWNER=...).
discard_unresolved() {
    local id count=0
    for id in $(psql -Atq "$url" -c "SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY 1"); do
        $PY -m scripts.commands.quarantine resolve --id "$id" --action discard --by rehearsal >/dev/null
        count=$((count + 1))
    done
    echo "discarded $count unresolved rows"
}
TAIL=1 step "   decide the unresolved rows (the rehearsal discards them)" discard_unresolved
TAIL=6 step "   the phase 2 gate" "${MAKE_CMD[@]}" gate
# What `make verify` says of the stage reached, and its total.
rls_stage() { "${MAKE_CMD[@]}" verify TARGET=current | grep -E 'rls stage|checks passed'; }
step "21. RLS stage 1: children, habit_templates, notifications" "${MAKE_CMD[@]}" upgrade TO=0027_rls_stage1_children
TAIL=2 step "   verify" rls_stage
step "22. RLS stage 2: weeks" "${MAKE_CMD[@]}" upgrade TO=0028_rls_stage2_weeks
TAIL=2 step "   verify" rls_stage
step "23. RLS stage 3: habits" "${MAKE_CMD[@]}" upgrade TO=0029_rls_stage3_habits
TAIL=2 step "   verify" rls_stage
step "24. RLS stage 4: habit_records" "${MAKE_CMD[@]}" upgrade TO=0030_rls_stage4_habit_records
TAIL=2 step "   verify" rls_stage
step "   rollback one stage" "${MAKE_CMD[@]}" rollback
TAIL=2 step "   verify" rls_stage
step "   stage 4 again" "${MAKE_CMD[@]}" upgrade TO=0030_rls_stage4_habit_records
step "25. the read functions" "${MAKE_CMD[@]}" upgrade TO=0031_read_as_legacy
TAIL=3 step "26. read parity" "${MAKE_CMD[@]}" read-parity
step "27. the read switch (share 0)" "${MAKE_CMD[@]}" upgrade TO=0032_read_switch
TAIL=3 step "   show it" "${MAKE_CMD[@]}" cutover
# What `make verify` says of the records' owner, and its total.
records_owner() { "${MAKE_CMD[@]}" verify TARGET=current | grep -E 'records owner|rls policies|checks passed'; }
step "28. the records carry their owner: column and triggers" "${MAKE_CMD[@]}" upgrade TO=0033_records_owner_column
TAIL=3 step "   verify" records_owner
step "   the fill, the constraint, the index" "${MAKE_CMD[@]}" upgrade TO=0034_records_owner_filled
TAIL=3 step "   verify" records_owner
step "   the policies by owner" "${MAKE_CMD[@]}" upgrade TO=0035_records_policy_by_owner
TAIL=3 step "   verify" records_owner
TAIL=3 step "   read parity" "${MAKE_CMD[@]}" read-parity
TAIL=4 step "29. who still reads the legacy table" "${MAKE_CMD[@]}" legacy-readers SECONDS=10
TAIL=3 step "30. raise the share (gated)" "${MAKE_CMD[@]}" cutover PERCENT=5
TAIL=3 step "   and to 100%" "${MAKE_CMD[@]}" cutover PERCENT=100
TAIL=3 step "   rollback of the switch" "${MAKE_CMD[@]}" cutover PERCENT=0
# Phase 3: the evidence, then the contract revisions: freeze, rename, archive, drop.
step "31. the legacy-reader windows recorded" "${MAKE_CMD[@]}" upgrade TO=0036_legacy_reader_windows
TAIL=3 step "   the share back to 100%" "${MAKE_CMD[@]}" cutover PERCENT=100 BY=rehearsal
TAIL=4 step "   a watch after 100% (recorded)" "${MAKE_CMD[@]}" legacy-readers SECONDS=10 BY=rehearsal
TAIL=9 step "   the contract check" "${MAKE_CMD[@]}" contract-check
step "32. the archive log (0037)" "${MAKE_CMD[@]}" upgrade TO=0037_legacy_archive_log
step "   the freeze (0038, gated)" "${MAKE_CMD[@]}" upgrade TO=0038_freeze_legacy
# What `make verify` says of the freeze, and its total.
frozen() { "${MAKE_CMD[@]}" verify TARGET=current | grep -E 'legacy freeze|dual-write trigger|checks passed'; }
TAIL=3 step "   verify" frozen
TAIL=2 step "   drift while frozen" "${MAKE_CMD[@]}" drift
step "   rollback of the freeze (carries back what was written frozen)" "${MAKE_CMD[@]}" rollback
TAIL=2 step "   drift after the rollback" "${MAKE_CMD[@]}" drift
step "   the freeze again" "${MAKE_CMD[@]}" upgrade TO=0038_freeze_legacy
step "33. the rename (0039, gated)" "${MAKE_CMD[@]}" upgrade TO=0039_rename_legacy
retired() { "${MAKE_CMD[@]}" verify TARGET=current | grep -E 'legacy retired|legacy freeze|checks passed'; }
TAIL=3 step "   verify" retired
step "   rollback of the rename" "${MAKE_CMD[@]}" rollback
TAIL=3 step "   verify after it" frozen
step "   the rename again" "${MAKE_CMD[@]}" upgrade TO=0039_rename_legacy
TAIL=3 step "34. archive the legacy table" "${MAKE_CMD[@]}" archive-legacy BY=rehearsal
# The retention (7 days) is a wait, not work: the rehearsal sets the rename's time 8 days back, so
# that the drop's own refusal is met honestly rather than overridden.
psql -q "$url" -c "UPDATE migration.retired_legacy_table SET renamed_at = renamed_at - INTERVAL '8 days'"
step "35. the drop (0040, gated, one-way)" "${MAKE_CMD[@]}" upgrade TO=0040_drop_legacy
TAIL=2 step "   its rollback refuses" bash -c "! ${MAKE_CMD[*]} rollback"
TAIL=30 step "   verify at head" "${MAKE_CMD[@]}" verify
step "   drift at head" "${MAKE_CMD[@]}" drift
TAIL=2 step "   read parity at head" "${MAKE_CMD[@]}" read-parity
