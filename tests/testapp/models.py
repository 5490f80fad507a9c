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
