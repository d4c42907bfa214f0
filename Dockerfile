# The wizard as a container. Migrations run at start (see docker-compose.yml); the vault key comes
# from the environment (ONBOARD_SECRET_KEY), never from the image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ONBOARD_ENVIRONMENT=production \
    ONBOARD_HOST=0.0.0.0 \
    ONBOARD_PORT=8000 \
    ONBOARD_DATA_DIR=/var/lib/onboard

RUN useradd --system --create-home --home-dir /srv/onboard onboard \
 && install -d -o onboard -g onboard -m 0700 /var/lib/onboard

WORKDIR /srv/onboard/app
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY okta_sandbox ./okta_sandbox
RUN pip install --no-cache-dir -c constraints.txt .
COPY alembic.ini ./
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# The package finds templates, static files and migrations beside it.
RUN pip install --no-cache-dir --no-deps -e .

USER onboard
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "onboard db upgrade && exec onboard serve"]
