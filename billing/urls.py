"""Billing URLs: the organization's billing page and its actions, and Stripe's webhook."""

from django.urls import path

from billing import views

ORG = "o/<slug:org_slug>/billing/"

urlpatterns = [
    path(ORG, views.billing_page, name="billing-page"),
    path(ORG + "checkout/", views.checkout, name="billing-checkout"),
    path(ORG + "portal/", views.portal, name="billing-portal"),
    path("billing/stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
