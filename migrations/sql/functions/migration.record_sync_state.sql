-- migration.record_sync_state: the function's whole current definition (body, SET clauses, comment, grants), as the database holds it at head (revisions 0011, 0019).
-- No revision runs this file: each runs its own frozen migration.record_sync_state@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE FUNCTION migration.record_sync_state(legacy_ids BIGINT[])
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
    n INTEGER;
BEGIN
    -- Legacy rows that are gone have no state.
    DELETE FROM migration.sync_state AS s
    WHERE s.legacy_id = ANY(legacy_ids)
        AND NOT EXISTS (SELECT 1 FROM pg_temp.sync_rows AS c WHERE c.legacy_id = s.legacy_id);

    INSERT INTO migration.sync_state AS t (legacy_id, row_hash, user_id, child_name, monday, week_id, fingerprint)
    SELECT c.legacy_id, migration.row_hash(c.legacy), (c.legacy).user_id, (c.legacy).child_name, c.monday, w.id,
           CASE WHEN w.id IS NOT NULL THEN
               migration.week_fingerprint(w.child_id, w.user_id, w.week_start_date, w.week_end_date, w.theme,
                                          w.reflection, w.reward, hs.lines, rs.lines)
           END
    FROM pg_temp.sync_rows AS c
    LEFT JOIN pg_temp.sync_weeks AS w ON w.legacy_id = c.legacy_id
    LEFT JOIN (
        SELECT h.week_id, string_agg(migration.habit_line(h.id, h.name, h.display_order), ';' ORDER BY h.id) AS lines
        FROM pg_temp.sync_habits AS h GROUP BY h.week_id
    ) AS hs ON hs.week_id = w.id
    LEFT JOIN (
        SELECT h.week_id,
               string_agg(migration.record_line(r.id, r.habit_id, r.record_date, r.status), ';' ORDER BY r.id) AS lines
        FROM pg_temp.sync_records AS r JOIN pg_temp.sync_habits AS h ON h.id = r.habit_id GROUP BY h.week_id
    ) AS rs ON rs.week_id = w.id
    ON CONFLICT (legacy_id) DO UPDATE SET row_hash = excluded.row_hash, user_id = excluded.user_id,
        child_name = excluded.child_name, monday = excluded.monday, week_id = excluded.week_id,
        fingerprint = excluded.fingerprint, synced_at = now()
    WHERE (t.row_hash, t.week_id, t.fingerprint) IS DISTINCT FROM (excluded.row_hash, excluded.week_id,
                                                                    excluded.fingerprint);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- statement
REVOKE EXECUTE ON FUNCTION migration.record_sync_state(BIGINT[]) FROM PUBLIC;
