"""The baseline for bench/pages.py: a bare FastAPI app rendering a comparable Jinja2 page from one
SQLAlchemy query. Comparable means the same document structure as the wizard's onboarding page
(every section and step of the playbook, what was done in each, the checks, a form per step) and
about the same size; bare means no sign-in, no CSRF, no middleware, no audit, one query.

    DATABASE_URL=... uvicorn bench.support.baseline_app:app --port 8099
"""

from __future__ import annotations

import os
import uuid

import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.engine.kinds import KINDS
from app.playbooks.loader import PlaybookLibrary
from app.store.db import async_url
from app.store.models import Onboarding, OnboardingAction

engine = create_async_engine(async_url(os.environ["DATABASE_URL"]))
sessions = async_sessionmaker(engine, expire_on_commit=False)
library = PlaybookLibrary.load(KINDS)
template = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ playbook.name }}</title><link rel="stylesheet" href="/static/app.css"></head><body>
<header class="site-header"><nav aria-label="Main"><ul><li><a href="/">Onboardings</a></li>
<li><a href="/connections">Okta connections</a></li><li><a href="/settings">Settings</a></li></ul></nav></header>
<main id="main"><header><p class="eyebrow">{{ playbook.vendor }} · onboarding</p><h1>{{ playbook.name }}</h1>
<p>Okta org <code>{{ o.org_origin }}</code> · <span class="pill">{{ o.status }}</span> · {{ o.status_note }}</p>
<p>Following “{{ playbook.document_title }}” (<code>{{ playbook.document }}</code>).</p></header>
<section class="panel"><h2>Plan</h2><table class="table"><thead><tr><th>Step</th><th>Verdict</th><th>What</th></tr>
</thead><tbody>{% for a in actions %}<tr><td>{{ a.step_key }}</td><td><span class="pill">{{ a.outcome }}</span></td>
<td>{{ a.summary }} <code>{{ a.object_id }}</code></td></tr>{% endfor %}</tbody></table></section>
<ol class="stepper">{% for section in playbook.sections %}<li class="stepper__section"><h2>{{ section.title }}</h2>
{% for note in section.notes %}<p class="note">{{ note }}</p>{% endfor %}<ol class="steps">
{% for step in section.steps %}<li class="step" id="step-{{ step.key }}"><h3>
<span class="step__number">{{ step.number }}</span> {{ step.title }} <span class="pill">to do</span></h3>
<p class="step__actor">{{ step.actor }}</p>
{% for note in step.notes %}<p class="note">{{ note }}</p>{% endfor %}<ul class="step__actions">
{% for a in actions if a.step_key == step.key %}<li><span class="pill">{{ a.state }}</span> {{ a.summary }}
<code>{{ a.object_id }}</code> <a href="https://example-admin.okta.com/admin/{{ a.object_id }}">open in Okta</a></li>
{% endfor %}</ul>{% if step.task %}<ol>{% for line in step.task.instructions %}<li>{{ line }}</li>{% endfor %}</ol>
{% endif %}<ul class="checks">{% for check in step.checks %}<li><span class="pill">passed</span> {{ check.label }}
<p class="hint">Found: {{ check.label }} ({{ check.kind }})</p>
<form method="post" action="/onboardings/{{ o.id }}/attest/{{ check.key }}">
<input type="hidden" name="csrf_token" value="{{ o.id }}"><label for="n-{{ check.key }}">Note</label>
<input id="n-{{ check.key }}" name="note"><button type="submit">I confirm: {{ check.label }}</button></form></li>
{% endfor %}</ul></li>{% endfor %}</ol></li>{% endfor %}</ol></main></body></html>""")
app = FastAPI()


@app.get("/onboardings/{onboarding_id}", response_class=HTMLResponse)
async def page(onboarding_id: uuid.UUID) -> str:
    async with sessions() as session:
        rows = (await session.execute(
            select(Onboarding, OnboardingAction).join(OnboardingAction,
                                                      OnboardingAction.onboarding_id == Onboarding.id)
            .where(Onboarding.id == onboarding_id).order_by(OnboardingAction.position))).all()
    onboarding = rows[0][0]
    return template.render(o=onboarding, actions=[row[1] for row in rows], playbook=library.get(onboarding.vendor))


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
