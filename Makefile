# Two commands do all set-up on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
GATEWAY_PORT ?= 5001
# The demo merchant shared by the portal and the mock VNPay gateway (defaults of onestop/payments/vnpay.py).
export VNPAY_TMN_CODE ?= ONESTOP1
export VNPAY_HASH_SECRET ?= ONESTOPDEMOSECRETNOTFORPRODUCTION
# Where the portal sends payers and its querydr/refund calls: the mock gateway on GATEWAY_PORT.
export VNPAY_PAY_URL ?= http://127.0.0.1:$(GATEWAY_PORT)/paymentv2/vpcpay.html
export VNPAY_API_URL ?= http://127.0.0.1:$(GATEWAY_PORT)/merchant_webapi/api/transaction
SMS_PORT ?= 5002
# The demo account shared by the portal and the mock brand-name SMS gateway (onestop/notifications/sms_protocol.py).
export SMS_ACCOUNT ?= ONESTOPSMS
export SMS_SECRET ?= ONESTOP-SMS-DEMO-SECRET-NOT-FOR-PRODUCTION
export SMS_BRAND_NAME ?= DICHVUCONG
# Where the portal sends SMS: the mock gateway on SMS_PORT.
export SMS_API_URL ?= http://127.0.0.1:$(SMS_PORT)/api/v1/sms/send
export ONESTOP_VAR_DIR ?= $(CURDIR)/var
# Remote signing (docs/operations.md, "Signing"): the signing service on SIGNING_PORT and the demo province PKI
# (certomancer: TSA, OCSP, CRL) on PKI_PORT. The KEK and client secret below are demo values, never for production.
SIGNING_PORT ?= 5003
PKI_PORT ?= 5004
export PKI_URL ?= http://127.0.0.1:$(PKI_PORT)
export SIGNING_CSC_URL ?= http://127.0.0.1:$(SIGNING_PORT)
export SIGNING_TSA_URL ?= $(PKI_URL)/province/tsa/tsa
export SIGNING_TRUST_ROOTS ?= $(ONESTOP_VAR_DIR)/pki/root.pem
export SIGNING_KEK ?= b25lc3RvcCBkZW1vIEtFSzogbm90IGZvciBwcm9kISE=
export SIGNING_CLIENT_SECRET ?= onestop-demo-signing-client-secret

.PHONY: demo demo-signers test lint format translations extract-messages system-deps serve-demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

.stamp-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ .stamp-runtime

# axe-core, pinned in package.json: the browser journeys check every page they pass through with it.
.stamp-node: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

translations: .stamp-runtime
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v "^$$" || true

extract-messages: .stamp-runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --width 100 -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --width 100

# Debian packages the tests need: Chromium and fonts with Vietnamese glyphs for the browser journeys,
# and clamd for the malware-scanning tests; Pango for WeasyPrint (the slip PDFs), poppler-utils and
# zbar-tools for the slip tests (text and pictures out of a PDF, the QR code read back); NSS's certutil
# (libnss3-tools) so that pdfsig trusts the demo PKI's root in the signing tests; npm to install
# axe-core for the journeys' accessibility checks. Only what is missing is installed, in one apt-get call.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	dpkg -s fonts-noto-core >/dev/null 2>&1 || missing="$$missing fonts-noto-core"; \
	dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || missing="$$missing libpangoft2-1.0-0"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v certutil >/dev/null || missing="$$missing libnss3-tools"; \
	command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	[ -x /usr/sbin/clamd ] || missing="$$missing clamav-daemon"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Install these Debian packages (as root) for the browser, scanning and slip tests:$$missing"; fi; \
	fi

# Where the links in the demo's e-mails, SMS and slips, and the gateway's return and IPN, point: this PORT.
demo serve-demo: export PUBLIC_URL ?= http://127.0.0.1:$(PORT)
# The demo's SMS go through the mock brand-name gateway (its page lists them), not only to /dev/mailbox.
demo serve-demo: export SMS_BACKEND ?= brandname

demo: .stamp-runtime translations
	@mkdir -p $(ONESTOP_VAR_DIR)
	ONESTOP_DEMO=1 $(BIN)/flask --app wsgi db upgrade
	ONESTOP_DEMO=1 $(BIN)/flask --app wsgi province load provinces/demo
	ONESTOP_DEMO=1 $(BIN)/flask --app wsgi demo accounts
	ONESTOP_DEMO=1 $(BIN)/flask --app wsgi signing demo-pki $(SIGNING_TRUST_ROOTS)
	@$(MAKE) --no-print-directory serve-demo

serve-demo:
	@echo ""
	@echo "Portal:        http://127.0.0.1:$(PORT)"
	@echo "Demo mailbox:  http://127.0.0.1:$(PORT)/dev/mailbox   (e-mail and SMS the demo sends)"
	@echo "Mock VNPay:    http://127.0.0.1:$(GATEWAY_PORT)/gateway/transactions   (TEST payment gateway)"
	@echo "               merchant VNPAY_TMN_CODE=$(VNPAY_TMN_CODE)  VNPAY_HASH_SECRET=$(VNPAY_HASH_SECRET)"
	@echo "Mock SMS:      http://127.0.0.1:$(SMS_PORT)/sms/messages   (TEST brand-name SMS gateway)"
	@echo "               account SMS_ACCOUNT=$(SMS_ACCOUNT)  SMS_SECRET=$(SMS_SECRET)  brand name $(SMS_BRAND_NAME)"
	@echo "Signing:       $(SIGNING_CSC_URL)/csc/v1/info   (CSC signing service; enrol: flask --app wsgi signing enrol EMAIL)"
	@echo "Demo PKI:      $(PKI_URL)   (certomancer: TSA, OCSP and CRL of the demo province CA)"
	@echo "Approving is signing: once the demo runs, \`make demo-signers\` (another terminal) gives the demo"
	@echo "               leaders a key and prints the QR code of their one-time codes (authenticator app)."
	@echo "Stop with Ctrl+C."
	@ONESTOP_DEMO=1 $(BIN)/celery -A onestop.worker worker --beat --pool=solo --concurrency=1 --loglevel=warning \
	    --schedule=$(ONESTOP_VAR_DIR)/celerybeat-schedule & worker=$$!; \
	  VNPAY_IPN_URL=$${VNPAY_IPN_URL:-$(PUBLIC_URL)/payments/vnpay/ipn} \
	    $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(GATEWAY_PORT) --no-control-socket wsgi_gateway:app & gateway=$$!; \
	  SMS_CALLBACK_URL=$${SMS_CALLBACK_URL:-$(PUBLIC_URL)/notifications/sms/delivery-report} \
	    $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(SMS_PORT) --no-control-socket wsgi_sms:app & sms=$$!; \
	  $(BIN)/gunicorn --workers 1 --threads 4 --bind 127.0.0.1:$(PKI_PORT) --no-control-socket wsgi_pki:app & pki=$$!; \
	  SIGNING_DEMO_CA=1 $(BIN)/gunicorn --workers 1 --threads 4 --bind 127.0.0.1:$(SIGNING_PORT) --no-control-socket \
	    wsgi_signing:app & signing=$$!; \
	  trap 'kill $$worker $$gateway $$sms $$pki $$signing 2>/dev/null; wait $$worker $$gateway $$sms $$pki $$signing 2>/dev/null' EXIT INT TERM; \
	  ONESTOP_DEMO=1 $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

# A leader approves a result by signing it with a one-time code: give the demo's leaders (the police, who issue
# criminal-record certificates, and the Đông Thành ward) a key and print each QR code once. Run it while
# `make demo` serves (the signing service must answer); `DEMO_SIGNERS="a@x b@y" make demo-signers` picks others.
DEMO_SIGNERS ?= lanhdao.congan@minhson.example lanhdao.dongthanh@minhson.example
demo-signers: .stamp-runtime
	@for who in $(DEMO_SIGNERS); do \
	  echo ""; echo "== $$who (password demo1234)"; \
	  ONESTOP_DEMO=1 $(BIN)/flask --app wsgi signing enrol $$who || exit 1; \
	done

test: .stamp-dev translations system-deps .stamp-node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/bench-smoke
	bash scripts/run-tests

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf var .stamp-* .pytest_cache node_modules
