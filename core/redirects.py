"""Old addresses of pages that moved: a GET keeps working (301), a form post too (308).

`moved("labour:edit")` is a view that redirects to that URL name with the same
arguments and the same query string: 301 for GET and HEAD (browsers and bookmarks
follow it), 308 for every other method (the client repeats the POST at the new
address, body included).
"""

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt


class HttpResponsePermanentRedirectKeepMethod(HttpResponsePermanentRedirect):
    status_code = 308


def moved(to_name: str):
    # The redirect changes nothing; the view it points to checks CSRF on the repeated POST.
    @csrf_exempt
    def view(request, *args, **kwargs):
        target = reverse(to_name, args=args, kwargs=kwargs)
        query = request.META.get("QUERY_STRING", "")
        if query:
            target = f"{target}?{query}"
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(target)
        return HttpResponsePermanentRedirectKeepMethod(target)

    view.moved_to = to_name
    return view
