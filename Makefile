# RawRelay: `make run` starts the relay with the demo page, `make test` runs the tests.
SHELL       := /bin/bash
DOTNET      ?= dotnet
CONFIG      ?= Release
PORT        ?= 8080
CONTROL     ?= /tmp/rawrelay.sock
PUBLISH_DIR ?= publish
# clang for Native AOT's native link; Debian 12 has clang-14 but no plain clang.
CLANG       ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo clang-14)

.PHONY: all build run test bench publish clean

all: build

build:
	$(DOTNET) build RawRelay.sln -c $(CONFIG)

# The relay on port $(PORT), control socket $(CONTROL), the demo site from static/, keeping the last 100
# messages of every stream so that pages resume after a reload (rawrelay.js).
run:
	$(DOTNET) run --project RawRelay -c $(CONFIG) -- --port $(PORT) --control $(CONTROL) --static static --history 100

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
