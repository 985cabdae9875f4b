from django.http import HttpRequest, HttpResponse
from django.views import View


class BoardView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("")
