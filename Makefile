# Every target sets itself up: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
NPM_STAMP := tests/npm/node_modules/.installed
PORT ?= 8000

.PHONY: site org-site test quick lint typecheck unit serve bench clean docs dist example npm

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,dist]'
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/servicebook build --source . --output public
	@echo "Open the site: make serve, then http://127.0.0.1:$(PORT)/ (or any static web server on public/)"

# The example organisation site: the platform catalog above with two member teams (docs/federating.md).
org-site: $(STAMP)
	SERVICEBOOK=$(CURDIR)/$(BIN)/servicebook sh examples/org/build-org-site.sh build/org
	@echo "The organisation site is in build/org/public/"

test: $(STAMP) lint typecheck unit

# The inner loop: everything but the browser, the W3C validator, the wheel builds (dist) and the
# tests marked slow, with property tests at a tenth of their examples, over every core (xdist) and
# one worker more: much of the suite's time is spent waiting (a preview server or Prometheus
# starting, a debounced rebuild, git), and the extra worker keeps the cores busy meanwhile.
# `make test` before pushing. Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: without
# it each xdist worker rewrites and compiles every test module again, and every servicebook a
# test starts compiles what it imports.
# Each test module runs on one worker (--dist loadfile), so a module's shared fixtures (a built
# site, a repository of releases, the docs' command server) are made once, not once per worker.
# The tests' folders go to a RAM file system where there is one (/dev/shm), one folder per
# checkout (pytest empties it at the start of a run), removed after every run, passed or not: it
# holds gigabytes of RAM and ~450,000 inodes, and a run that failed or was stopped left it behind
# until /dev/shm was full (to look at a failed test's files, run it with pytest alone). The suite makes and deletes thousands of files (sites, caches, git
# repositories): on a disk file system that costs system time (bench/README.md, "The quick tier's
# cost").
QUICK_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
QUICK_TMP ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm/servicebook-quick-$$(id -u)-$$(printf %s '$(CURDIR)' | cksum | cut -d' ' -f1))
quick: $(STAMP) $(NPM_STAMP) lint typecheck
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -m "not browser and not slow and not dist" --hypothesis-profile=quick \
		-n $(QUICK_WORKERS) --dist loadfile $(if $(QUICK_TMP),--basetemp=$(QUICK_TMP); \
		status=$$?; rm -rf $(QUICK_TMP); exit $$status)

lint: $(STAMP)
	$(BIN)/ruff check src tests build.py bench scripts
	$(BIN)/ruff format --check src tests build.py bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(NPM_STAMP)
	$(BIN)/pytest -q

# The real validators the portal exports are checked against in the tests (npm packages pinned in
# tests/npm/package-lock.json: Backstage's catalog-model schemas, the tech-radar plugin's parser).
# Without npm those tests skip here and fail in CI (.ci/run installs it).
$(NPM_STAMP): tests/npm/package.json tests/npm/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/npm && npm ci --no-audit --no-fund --ignore-scripts --silent && touch node_modules/.installed; \
	else echo "npm not found: the tests of the Backstage and tech-radar exports will skip"; fi

npm: $(NPM_STAMP)

serve: $(STAMP)
	$(BIN)/servicebook serve --source . --port $(PORT)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,dist,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/ci_bench.py --size 5k
	$(BIN)/python bench/history_bench.py
	$(BIN)/python bench/versions_bench.py
	$(BIN)/python bench/versions_bench.py --offerings 2000 --tools 5000 --pages 2000
	$(BIN)/python bench/measure_bench.py
	$(BIN)/python bench/federation_bench.py
	$(BIN)/python bench/search_bench.py

clean:
	rm -rf $(VENV) $(DIST_VENV) public dist build .pytest_cache .mypy_cache .ruff_cache tests/npm/node_modules

# The field reference in docs/writing-a-catalog.md is generated from the model (a test keeps it in step).
docs: $(STAMP)
	$(BIN)/python -c "import re, pathlib; from servicebook.catalog.schema import reference_markdown as r; p = pathlib.Path('docs/writing-a-catalog.md'); t = p.read_text(); p.write_text(re.sub(r'(<!-- reference:start -->\n).*?(\n<!-- reference:end -->)', lambda m: m[1] + r().rstrip() + m[2], t, flags=re.S))"

# `servicebook init --example` ships the repository's example; a test keeps the copy in step.
example:
	rm -rf src/servicebook/scaffold/example
	mkdir -p src/servicebook/scaffold/example
	cp catalog.yaml src/servicebook/scaffold/example/
	cp -R content src/servicebook/scaffold/example/
	cp -R measurements src/servicebook/scaffold/example/

# The release artifacts: a wheel and an sdist in dist/, their metadata checked. Its own small
# environment (build and twine only), so making a wheel does not install the development stack.
DIST_VENV := .venv-dist
$(DIST_VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install --quiet -c requirements.lock build twine
	touch $@

dist: $(DIST_VENV)/.installed
	rm -rf dist
	$(DIST_VENV)/bin/python -P -m build --outdir dist .  # -P: the root's build.py must not shadow the build package
	$(DIST_VENV)/bin/twine check --strict dist/*
