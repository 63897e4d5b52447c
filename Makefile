# RawRelay: `make run` starts the relay with the demo site (and PHP's server for its PHP pages), `make test` runs the tests.
SHELL       := /bin/bash
DOTNET      ?= dotnet
CONFIG      ?= Release
PORT        ?= 8080
CONTROL     ?= /tmp/rawrelay.sock
PHP         ?= php
PHP_PORT    ?= 8081
PHP_LOG     ?= /tmp/rawrelay-php.log
# make run's webhook secret, between the relay and php -S on this machine's loopback: a demo value,
# not a secret. A deployment draws its own (README, Deployment).
DEMO_WEBHOOK_SECRET ?= make-run-demo-webhook-secret
PUBLISH_DIR ?= publish
# clang for Native AOT's native link; Debian 12 has clang-14 but no plain clang.
CLANG       ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo clang-14)

.PHONY: all build run test bench publish clean

all: build

build:
	$(DOTNET) build RawRelay.sln -c $(CONFIG)

# The relay on port $(PORT), control socket $(CONTROL), the demo site from static/, keeping the last 100
# messages of every stream so that pages resume after a reload (rawrelay.js). With php installed, also
# PHP's built-in server on 127.0.0.1:$(PHP_PORT) for the demo's PHP pages, which takes the relay's
# webhook (chat-hook.php, the chat); it is stopped, by its PID, when make run stops (Ctrl-C).
run:
	@php_pid=; webhook=; \
	if command -v $(PHP) >/dev/null 2>&1; then \
	  RAWRELAY_CONTROL=$(CONTROL) RAWRELAY_WEBHOOK_SECRET=$(DEMO_WEBHOOK_SECRET) \
	    RAWRELAY_WEBSOCKET_URL=ws://127.0.0.1:$(PORT)/websocket $(PHP) -S 127.0.0.1:$(PHP_PORT) -t static >$(PHP_LOG) 2>&1 & php_pid=$$!; \
	  trap 'kill $$php_pid 2>/dev/null' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	  webhook="--webhook http://127.0.0.1:$(PHP_PORT)/chat-hook.php --webhook-secret $(DEMO_WEBHOOK_SECRET)"; \
	  echo "make run: PHP pages on http://127.0.0.1:$(PHP_PORT)/ (php -S, pid $$php_pid, its log $(PHP_LOG))," \
	    "the relay's webhook there; the chat: http://127.0.0.1:$(PHP_PORT)/chat.html"; \
	  $(PHP) -r 'exit(extension_loaded("pdo_sqlite") ? 0 : 1);' || \
	    echo "make run: PHP has no SQLite (apt-get install php-sqlite3): the chat cannot store its lines"; \
	else \
	  echo "make run: $(PHP) is not installed (apt-get install php-cli php-sqlite3): no PHP pages, no chat, no webhook"; \
	fi; \
	$(DOTNET) run --project RawRelay -c $(CONFIG) -- --port $(PORT) --control $(CONTROL) --static static --history 100 $$webhook

# Every test: unit, integration over real sockets, socat, PHP and the browser where installed. A test whose
# outside program is missing is skipped with the line that installs it; the run ends by listing them.
# TEST_ARGS="--filter FullyQualifiedName~Metrics" runs some.
test:
	@log=$$(mktemp); \
	$(DOTNET) test RawRelay.sln -c $(CONFIG) $(TEST_ARGS) --logger "console;verbosity=normal" 2>&1 | tee $$log; \
	status=$${PIPESTATUS[0]}; \
	awk '/^  Skipped / { name = substr($$0, 11); sub(/ \[[^]]*\]$$/, "", name); skipped[++n] = name } \
	     /^[^ ][^:]*: / { i = index($$0, ": "); reason[substr($$0, 1, i - 1)] = substr($$0, i + 2) } \
	     END { if (n == 0) { print "\nSkipped: none"; exit } \
	           print "\nSkipped, " n " test(s):"; \
	           for (k = 1; k <= n; k++) print "  " skipped[k] ": " (skipped[k] in reason ? reason[skipped[k]] : "(no reason given)") }' $$log; \
	rm -f $$log; exit $$status

# One self-contained native executable, $(PUBLISH_DIR)/rawrelay (Native AOT, linux-x64): no .NET runtime
# needed where it runs. Needs clang and zlib1g-dev.
publish:
	$(DOTNET) publish RawRelay/RawRelay.csproj -c Release -r linux-x64 -p:CppCompilerAndLinker=$(CLANG) -o $(PUBLISH_DIR)

# The built-in load generator (`rawrelay bench`) against the native relay it starts itself, with the
# open-file limit raised as far as allowed. BENCH_ARGS="--clients 2000" for a smaller run.
bench: publish
	ulimit -n $$(ulimit -Hn); $(PUBLISH_DIR)/rawrelay bench $(BENCH_ARGS)

clean:
	$(DOTNET) clean RawRelay.sln -c $(CONFIG)
	rm -rf $(PUBLISH_DIR)
