"""``{{ amount|money }}``: an amount in 万元 as the budget tables print it (``budget.money``)."""

from django import template

from sciplan.applications.budget import money

register = template.Library()
register.filter("money", money)
