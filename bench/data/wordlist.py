"""A built-in vocabulary whose words eSpeak speaks with exactly one WORD event each.

Why a fixed list: the speech tasks take their ground truth from eSpeak's WORD
events (:mod:`bench.data.espeak`), which only works when every written word
yields one event at its own first character.  Digits, abbreviations and a few
dictionary idioms break that, so the words here were checked with a one-off
script against every English eSpeak voice (``list_voices()``):

* each word alone gives exactly one WORD event;
* every ordered pair of words (``a b``) gives two events at the right places,
  except the pairs in :data:`BAD_PAIRS`, which eSpeak's English dictionary
  speaks as a single unit (``of the``, ``had to``, ``should have``, ...);
* random sentences from :func:`make_sentence` synthesise cleanly in every
  voice of ``SPEAKER_VOICES`` at several rates.

Words that took part in many such pairs or idioms were dropped (``had``,
``there``, ``wind``, ``live``, ``huge`` -- the New York voice does not
announce the last one at all), as was one word of each homophone pair
(``write``/``right``, ``hear``/``here``, ...) so that a question about a word
can never be ambiguous, a few grim or political words, and some abstract office vocabulary.
"""
from __future__ import annotations

import random

#: 584 common English words: lowercase ASCII letters, no duplicates.
WORDS: tuple[str, ...] = (
    'the', 'a', 'an', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with', 'from', 'and', 'or',
    'but', 'not', 'is', 'was', 'are', 'were', 'be', 'been', 'has', 'have', 'do', 'does', 'did',
    'will', 'would', 'can', 'could', 'should', 'may', 'might', 'must', 'i', 'you', 'he', 'she',
    'it', 'we', 'they', 'me', 'him', 'her', 'us', 'them', 'my', 'your', 'his', 'its', 'our',
    'their', 'this', 'that', 'these', 'those', 'what', 'which', 'who', 'when', 'where', 'why',
    'how', 'all', 'some', 'any', 'each', 'every', 'both', 'few', 'many', 'much', 'more',
    'most', 'other', 'such', 'nor', 'only', 'own', 'same', 'so', 'than', 'very', 'just',
    'also', 'now', 'then', 'here', 'out', 'up', 'down', 'over', 'under', 'again', 'once',
    'about', 'after', 'before', 'into', 'through', 'during', 'above', 'below', 'between',
    'against', 'off', 'time', 'year', 'people', 'way', 'day', 'man', 'woman', 'child', 'world',
    'life', 'hand', 'part', 'place', 'case', 'week', 'company', 'system', 'program',
    'question', 'work', 'number', 'night', 'point', 'home', 'water', 'room', 'mother', 'area',
    'money', 'story', 'fact', 'month', 'lot', 'right', 'study', 'book', 'job', 'word',
    'business', 'issue', 'side', 'kind', 'head', 'house', 'service', 'friend', 'father',
    'power', 'game', 'line', 'end', 'member', 'law', 'car', 'city', 'name', 'team', 'minute',
    'idea', 'kid', 'body', 'back', 'parent', 'face', 'others', 'level', 'office', 'door',
    'health', 'person', 'art', 'history', 'party', 'result', 'change', 'morning', 'reason',
    'girl', 'guy', 'moment', 'air', 'teacher', 'force', 'foot', 'boy', 'age', 'music',
    'market', 'sense', 'plan', 'college', 'interest', 'effect', 'class', 'control', 'care',
    'field', 'role', 'effort', 'rate', 'heart', 'show', 'leader', 'light', 'voice', 'wife',
    'mind', 'price', 'report', 'view', 'town', 'road', 'arm', 'value', 'building', 'action',
    'model', 'season', 'tax', 'player', 'record', 'paper', 'space', 'ground', 'form', 'event',
    'matter', 'center', 'couple', 'site', 'project', 'star', 'table', 'need', 'court', 'oil',
    'cost', 'figure', 'street', 'image', 'phone', 'data', 'picture', 'practice', 'piece',
    'land', 'product', 'doctor', 'wall', 'patient', 'worker', 'news', 'test', 'movie', 'north',
    'love', 'support', 'technology', 'step', 'baby', 'computer', 'type', 'attention', 'film',
    'tree', 'source', 'hair', 'window', 'truth', 'song', 'energy', 'fire', 'summer', 'garden',
    'river', 'winter', 'spring', 'ocean', 'island', 'forest', 'mountain', 'village', 'bread',
    'apple', 'horse', 'bird', 'fish', 'dog', 'cat', 'cow', 'chair', 'bed', 'cup', 'plate',
    'knife', 'spoon', 'shirt', 'shoe', 'hat', 'coat', 'bag', 'box', 'key', 'clock', 'lamp',
    'bottle', 'glass', 'letter', 'pen', 'pencil', 'ticket', 'train', 'plane', 'boat', 'ship',
    'bridge', 'church', 'school', 'hospital', 'kitchen', 'floor', 'roof', 'rain', 'snow',
    'cloud', 'sun', 'moon', 'sky', 'storm', 'stone', 'sand', 'salt', 'sugar', 'milk', 'egg',
    'rice', 'cheese', 'butter', 'soup', 'fruit', 'orange', 'lemon', 'tomato', 'potato',
    'green', 'red', 'blue', 'yellow', 'black', 'white', 'brown', 'gray', 'pink', 'purple',
    'gold', 'silver', 'say', 'get', 'make', 'go', 'know', 'take', 'see', 'come', 'think',
    'look', 'want', 'give', 'use', 'find', 'tell', 'ask', 'seem', 'feel', 'try', 'leave',
    'call', 'keep', 'let', 'begin', 'help', 'talk', 'turn', 'start', 'play', 'run', 'move',
    'like', 'believe', 'hold', 'bring', 'happen', 'provide', 'sit', 'stand', 'lose', 'pay',
    'meet', 'include', 'continue', 'set', 'learn', 'lead', 'understand', 'watch', 'follow',
    'stop', 'create', 'speak', 'allow', 'add', 'spend', 'grow', 'open', 'walk', 'win', 'offer',
    'remember', 'consider', 'appear', 'wait', 'serve', 'send', 'expect', 'build', 'stay',
    'fall', 'cut', 'reach', 'remain', 'suggest', 'raise', 'pass', 'sell', 'require', 'decide',
    'return', 'explain', 'hope', 'develop', 'carry', 'break', 'receive', 'agree', 'thank',
    'jump', 'swim', 'sing', 'dance', 'sleep', 'cook', 'drive', 'climb', 'push', 'pull',
    'throw', 'catch', 'wash', 'clean', 'laugh', 'smile', 'cry', 'shout', 'whisper', 'listen',
    'touch', 'smell', 'taste', 'travel', 'good', 'new', 'first', 'last', 'long', 'great',
    'little', 'old', 'big', 'high', 'different', 'small', 'large', 'next', 'early', 'young',
    'important', 'bad', 'able', 'late', 'hard', 'better', 'best', 'free', 'sure', 'real',
    'full', 'special', 'easy', 'clear', 'certain', 'difficult', 'short', 'single', 'wrong',
    'past', 'fine', 'common', 'poor', 'natural', 'similar', 'hot', 'happy', 'serious', 'ready',
    'simple', 'left', 'dark', 'close', 'cold', 'final', 'main', 'popular', 'quiet', 'warm',
    'soft', 'loud', 'bright', 'heavy', 'fast', 'slow', 'deep', 'wide', 'narrow', 'thick',
    'thin', 'strong', 'rich', 'dirty', 'empty', 'wet', 'dry', 'sweet', 'sour', 'bitter',
    'fresh', 'busy', 'lazy', 'brave', 'calm', 'angry', 'tired', 'hungry', 'funny', 'strange',
    'quick', 'gentle', 'proud', 'always', 'never', 'often', 'sometimes', 'usually', 'really',
    'almost', 'already', 'still', 'yet', 'together', 'away', 'perhaps', 'maybe', 'today',
    'tomorrow', 'yesterday', 'tonight', 'soon', 'later',
)

#: Function words in :data:`WORDS`; tasks do not ask about these.
STOPWORDS: frozenset[str] = frozenset(
    {
        'a', 'about', 'above', 'after', 'again', 'against', 'all', 'also', 'an', 'and', 'any',
        'are', 'at', 'away', 'be', 'been', 'before', 'below', 'between', 'both', 'but', 'by',
        'can', 'could', 'did', 'do', 'does', 'down', 'during', 'each', 'every', 'few', 'for',
        'from', 'has', 'have', 'he', 'her', 'here', 'him', 'his', 'how', 'i', 'in', 'into',
        'is', 'it', 'its', 'just', 'many', 'may', 'me', 'might', 'more', 'most', 'much',
        'must', 'my', 'nor', 'not', 'now', 'of', 'off', 'on', 'once', 'only', 'or', 'other',
        'our', 'out', 'over', 'own', 'same', 'she', 'should', 'so', 'some', 'still', 'such',
        'than', 'that', 'the', 'their', 'them', 'then', 'these', 'they', 'this', 'those',
        'through', 'to', 'together', 'under', 'up', 'us', 'very', 'was', 'we', 'were', 'what',
        'when', 'where', 'which', 'who', 'why', 'will', 'with', 'would', 'yet', 'you', 'your',
    }
)

#: Adjacent pairs that eSpeak speaks as one word (one WORD event for two
#: words); :func:`make_sentence` never puts them next to each other.
BAD_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ('at', 'a'), ('at', 'once'), ('at', 'will'), ('could', 'have'), ('did', 'not'),
        ('do', 'not'), ('does', 'not'), ('each', 'of'), ('few', 'more'), ('for', 'a'),
        ('for', 'an'), ('for', 'the'), ('from', 'the'), ('from', 'where'), ('from', 'which'),
        ('has', 'been'), ('has', 'not'), ('have', 'been'), ('have', 'not'), ('here', 'and'),
        ('in', 'the'), ('in', 'which'), ('many', 'of'), ('may', 'have'), ('might', 'have'),
        ('most', 'of'), ('must', 'have'), ('not', 'a'), ('of', 'a'), ('of', 'an'),
        ('of', 'the'), ('of', 'which'), ('on', 'the'), ('out', 'of'), ('should', 'have'),
        ('so', 'many'), ('so', 'much'), ('than', 'a'), ('than', 'an'), ('that', 'a'),
        ('that', 'it'), ('that', 'the'), ('to', 'be'), ('to', 'to'), ('was', 'a'),
        ('was', 'the'), ('will', 'to'), ('with', 'the'), ('would', 'have'),
    }
)


def make_sentence(rng: random.Random, n_words: int) -> str:
    """``n_words`` words drawn uniformly from :data:`WORDS`, joined by single spaces.

    No word directly repeats the one before it (a doubled word would make
    "the k-th occurrence" questions hinge on a few milliseconds), and no
    adjacent pair is in :data:`BAD_PAIRS`, so the sentence always synthesises
    with one timing per word.  Deterministic for a given ``rng`` state.
    """
    if n_words < 1:
        raise ValueError(f"n_words must be at least 1, got {n_words}")
    out: list[str] = []
    while len(out) < n_words:
        word = rng.choice(WORDS)
        if out and (word == out[-1] or (out[-1], word) in BAD_PAIRS):
            continue
        out.append(word)
    return " ".join(out)
