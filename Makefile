# yayin: two commands on a fresh machine with Python >= 3.11 and make.
#   make run    set up, migrate a SQLite database, load demo data, serve HTTP and Socket.IO
#               on :8000 (uvicorn, reloading on code changes)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test lint format check bench bench-feeds bench-servers bench-sockets clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo

# One server for the API and the sockets (config.asgi), reloading when a .py file of the
# project changes (not the virtualenv's). --no-proxy-headers: the scheme and the client's
# address are the connection's own, as under gunicorn (deploy/gunicorn.conf.py).
run: demo
	@echo ""
	@echo "  API docs (Swagger UI): http://localhost:$(PORT)/api/docs/"
	@echo "  API docs (Redoc):      http://localhost:$(PORT)/api/redoc/"
	@echo "  OpenAPI schema:        http://localhost:$(PORT)/api/schema/?format=json"
	@echo "  Admin:                 http://localhost:$(PORT)/admin/"
	@echo "  Health:                http://localhost:$(PORT)/health/"
	@echo "  Socket.IO:             ws://localhost:$(PORT)/socket.io/ (/live-stream, /stream-chat)"
	@echo ""
	DJANGO_DEBUG=true DEVELOPMENT_API_URL=http://localhost:$(PORT) \
		$(BIN)/python -m uvicorn config.asgi:application --reload \
		--reload-exclude '$(CURDIR)/$(VENV)' --no-proxy-headers --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

bench-feeds: install
	$(BIN)/python bench/feeds.py

bench-servers: install
	$(BIN)/python bench/run.py --servers wsgi,asgi,asgi-threads --endpoints health,list --rounds 2

bench-sockets: install
	$(BIN)/python bench/socket_soak.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache *.egg-info build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
