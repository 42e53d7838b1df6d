# hark: the two commands of the quick start are `make demo` and `make test`.
# Every step a fresh machine needs lives here or in scripts/ called from here.

CARGO ?= cargo
DEMO_DATA ?= demo-data

.PHONY: all build test demo model train-encoder browser-deps lint fmt bench-import check-deploy clean help

all: build

help:
	@echo "make demo    fetch the model, build hark and run it on the bundled sample (sample/)"
	@echo "make test    the whole test suite (the scenarios on SQLite, then on a throwaway PostgreSQL)"
	@echo "make model   fetch the encoder and ONNX Runtime (pinned, sha256-checked) into models/"
	@echo "make train-encoder   fine-tune the encoder (LoRA, JAX on CPU, about 20 minutes on 2 cores; not part of make test)"
	@echo "make browser-deps   Debian's chromium + chromium-driver (when missing) and axe-core (pinned) for the browser tests"
	@echo "make lint    rustfmt and clippy, warnings are errors"
	@echo "make bench-import   time a 100,000-row customer import"
	@echo "make check-deploy   offline checks of deploy/ (systemd units, manifests, compose, Dockerfile, alert rules)"

build:
	$(CARGO) build --workspace --locked

# The classifier's tests run the real encoder, so the model comes first; the web app's browser
# tests need Chromium, ChromeDriver and axe-core (both steps idempotent). Everything runs beside
# a throwaway PostgreSQL server and a NATS JetStream server on loopback (scripts/with-postgres.sh,
# scripts/with-nats.sh): the store's and the bus's tests use them, and the end-to-end scenarios
# run a second time with every store on PostgreSQL (with the scaled-out fault scenario).
test: model browser-deps
	scripts/with-postgres.sh scripts/with-nats.sh sh -c '$(CARGO) test --workspace --locked && \
		echo "== the end-to-end scenarios again, on PostgreSQL ==" && \
		HARK_E2E_STORE=postgres $(CARGO) test --workspace --locked --test e2e'

demo: model build
	DEMO_DATA=$(DEMO_DATA) scripts/demo.sh

model:
	scripts/model/fetch.sh

# The multi-task LoRA fine-tune behind models/adapters/ (docs/model-card.md); its own pinned venv.
train-encoder: model
	scripts/model/train-encoder.sh

browser-deps:
	scripts/browser-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

bench-import:
	$(CARGO) build --release --locked -p hark-cli
	scripts/bench-import.sh

check-deploy:
	scripts/check-deploy.sh

clean:
	$(CARGO) clean
	rm -rf $(DEMO_DATA)
