"""A small library app, unrelated to Mentara, to prove the engine works on any project."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    # Required fields the seeder never sets: model-bakery must complete them.
    isbn = models.CharField(max_length=13)
    pages = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.title


class Loan(models.Model):
    """Fields a writer must prepare exactly as bulk_create does: converted types, a Python
    default, a database default and an ``auto_now_add`` timestamp."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
    reference = models.UUIDField()
    details = models.JSONField(default=dict)
    fee = models.DecimalField(max_digits=6, decimal_places=2)
    due = models.DateField()
    lent_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    shelf = models.CharField(max_length=20, db_default="main")
    returned = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.book} ({self.reference})"
