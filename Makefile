# RawRelay: `make run` starts the relay with the demo page, `make test` runs the tests.
DOTNET      ?= dotnet
CONFIG      ?= Release
PORT        ?= 8080
CONTROL     ?= /tmp/rawrelay.sock
PUBLISH_DIR ?= publish

.PHONY: all build run test bench publish clean

all: build

build:
	$(DOTNET) build RawRelay.sln -c $(CONFIG)

# The relay on port $(PORT), control socket $(CONTROL), the demo site from static/.
run:
	$(DOTNET) run --project RawRelay -c $(CONFIG) -- --port $(PORT) --control $(CONTROL) --static static

# Every test: unit, integration over real sockets, socat, PHP and the browser where installed.
test:
	$(DOTNET) test RawRelay.sln -c $(CONFIG) --logger "console;verbosity=normal"

clean:
	$(DOTNET) clean RawRelay.sln -c $(CONFIG)
	rm -rf $(PUBLISH_DIR)
